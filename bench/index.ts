// `npm run bench [-- --json] [engine|analysis|ui]`
import { runBenchmarks } from './suite';

void runBenchmarks(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
}).then((code) => {
  process.exitCode = code;
});
