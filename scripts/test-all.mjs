// `npm test`: everything, from a fresh clone of a fresh machine. Sets up what is missing (Debian packages,
// npm packages, the offline VS Code), typechecks and lints, builds, then runs the layers: unit tests of the pure
// cores, the CLI, the Python runtime probe (pytest on real torch), webview tests in Chromium, the integration suite
// inside a real VS Code extension host, and the packaged .vsix.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const totals = { passed: 0, failed: 0 };

function run(title, command, args, { count } = {}) {
  console.log(`\n=== ${title} ===`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: count ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (count) {
    process.stdout.write(result.stdout ?? '');
    const { passed, failed } = count(result.stdout ?? '');
    totals.passed += passed;
    totals.failed += failed;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\n✗ ${title} failed (exit ${result.status}) after ${seconds} s`);
    console.log(`${totals.passed} passed, ${Math.max(totals.failed, 1)} failed`);
    process.exit(1);
  }
  console.log(`✓ ${title} (${seconds} s)`);
}

/** The last "N passed, M failed" line a runner printed. */
const plainCount = (out) => {
  const lines = [...out.matchAll(/(\d+) passed, (\d+) failed/g)];
  const last = lines.at(-1);
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : { passed: 0, failed: 0 };
};
const nodeTestCount = (out) => ({
  passed: Number(out.match(/ℹ pass (\d+)/)?.[1] ?? 0),
  failed: Number(out.match(/ℹ fail (\d+)/)?.[1] ?? 0),
});

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
if (process.platform === 'linux')
  run('Debian packages', 'bash', [join(root, 'scripts', 'setup', 'debian-packages.sh')]);
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs)
  run('npm packages', npm, ['ci', '--no-audit', '--no-fund']);
run('offline VS Code (code-server)', process.execPath, [join(root, 'scripts', 'setup', 'code-server.mjs')]);
run('typecheck', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--noEmit']);
run('lint (ESLint, Prettier, import cycles)', npm, ['run', '--silent', 'lint']);
run('typecheck webview', process.execPath, [
  join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '-p',
  'webview',
  '--noEmit',
]);
run('build', process.execPath, [join(root, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'development']);
run('unit tests', process.execPath, [join(root, 'scripts', 'run-unit-tests.mjs')], { count: nodeTestCount });
run('CLI', process.execPath, [join(root, 'test', 'cli', 'run.mjs')], { count: plainCount });
// The fuzz campaign, 1,000 inputs per format (npm run fuzz runs 10,000); it prints its own table.
run('fuzz (1,000 inputs per format)', process.execPath, [
  '--import',
  'tsx',
  join(root, 'test', 'fuzz', 'run.ts'),
  '--per-format',
  '1000',
]);
// The runtime probe on real PyTorch: Debian's python3-torch (installed above) lives in /usr/bin/python3; a python3
// earlier on PATH (pyenv, a venv) may lack torch.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
run(
  'Python probe (pytest, real torch)',
  python,
  ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(root, 'python', 'tests')],
  {
    count: (out) => ({
      passed: Number(out.match(/(\d+) passed/)?.[1] ?? 0),
      failed: Number(out.match(/(\d+) failed/)?.[1] ?? 0),
    }),
  },
);
run('webview tests (Chromium)', process.execPath, ['--import', 'tsx', join(root, 'test', 'webview', 'run.mjs')], {
  count: plainCount,
});
run('integration tests (real VS Code)', process.execPath, [join(root, 'test', 'vscode', 'run.mjs')], {
  count: plainCount,
});
// Last: packaging rebuilds dist/ in production mode.
run('package (.vsix installs into VS Code)', process.execPath, [join(root, 'test', 'package', 'run.mjs')], {
  count: plainCount,
});
console.log(`\nAll layers passed.\n${totals.passed} passed, ${totals.failed} failed`);
