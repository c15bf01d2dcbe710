/** Mode states where control flow meets: the join of two branches (or a loop's back edge), and modes the caller chose. */
import type { State } from './context';

export function joinStates(a: State, b: State, keepEvalOrigin = false): State {
  const out: State = new Map();
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (x?.chosen || y?.chosen) out.set(k, { mode: 'unknown', chosen: true });
    else if (x && y && x.mode === y.mode) out.set(k, x.origin ? x : y);
    else {
      // Around a loop's back edge, remember that eval mode may flow into the next iteration.
      const evalSide = keepEvalOrigin
        ? [x, y].find(
            (s) => s && s.origin && s.origin.kind === 'eval-call' && (s.mode === 'eval' || s.mode === 'unknown'),
          )
        : undefined;
      out.set(k, evalSide ? { mode: 'unknown', origin: evalSide.origin } : { mode: 'unknown' });
    }
  }
  return out;
}

/** The modes a branch switched are the caller's choice (see ModeState.chosen). */
export function markChosen(before: State, after: State): State {
  const out = new Map(after);
  for (const [k, st] of after) if (before.get(k)?.mode !== st.mode) out.set(k, { mode: st.mode, chosen: true });
  return out;
}
