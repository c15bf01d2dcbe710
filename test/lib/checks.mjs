// The runner of the script-style suites (CLI, browser, package): each check prints ✓ or ✗ with why, the last line
// is the "N passed, M failed" that scripts/test-all.mjs counts, and a run with a failure or no check exits 1.
let passed = 0;
let failed = 0;

/** DROPOUT_LENS_TEST_GREP=TEXT runs only the checks whose name contains TEXT. */
const grep = process.env.DROPOUT_LENS_TEST_GREP;

export async function test(name, fn) {
  if (grep && !name.includes(grep)) return;
  try {
    await fn();
    passed++;
    console.log(`✓ ${name}`);
  } catch (error) {
    failed++;
    console.log(
      `✗ ${name}\n  ${String(error?.message ?? error)
        .split('\n')
        .join('\n  ')}`,
    );
  }
}

export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
