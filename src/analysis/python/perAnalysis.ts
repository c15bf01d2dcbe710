import type { PyFacts } from './context';

/**
 * A query over the whole file, computed once per analysis: the first caller must ask after the passes whose
 * facts it reads have run (later facts would not change the answer it keeps).
 */
export function perAnalysis<T>(compute: (py: PyFacts) => T): (py: PyFacts) => T {
  const answers = new WeakMap<PyFacts, { value: T }>();
  return (py) => {
    let answer = answers.get(py);
    if (!answer) answers.set(py, (answer = { value: compute(py) }));
    return answer.value;
  };
}
