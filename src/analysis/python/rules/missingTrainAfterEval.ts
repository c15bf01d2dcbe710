/**
 * missing-train-after-eval: a model switched to eval() (for validation) and trained afterwards, in the same
 * iteration or the next one around a loop, without train() in between: dropout is off while it trains.
 */
import type { SyntaxNode } from '@lezer/common';
import { afterLine, bodyInsertion, enclosingStatement, lineInsertion } from '../insertions';
import { sameNode, span } from '../syntax';
import type { FlowRule } from './types';

export const missingTrainAfterEval: FlowRule = {
  id: 'missing-train-after-eval',
  on: 'flow',
  trainingStep(py, { call, models, loops }, em) {
    for (const { model, state: st } of models) {
      if (st.origin?.kind !== 'eval-call') continue;
      const evalNode = st.origin.node;
      // The innermost loop around it: a checkpoint every N steps inside the batch loop is fixed in that loop.
      const loop = loops.findLast((l) => l.from <= evalNode.from && evalNode.to <= l.to) ?? null;
      // Eval switched earlier in the same iteration (validation every N steps): train() right after it.
      const evalStmt = loop ? statementIn(loop, evalNode) : null;
      const ins = !loop
        ? lineInsertion(py, enclosingStatement(call))
        : evalStmt && evalStmt.to <= call.from
          ? afterLine(py, evalStmt)
          : bodyInsertion(py, loop);
      const continues = st.mode === 'eval' ? 'training continues' : 'training may continue';
      em.emit(
        'missing-train-after-eval',
        span(evalNode),
        `${model} is switched to eval mode here and ${continues} without ${model}.train(): from then on dropout is off and batch norm statistics are frozen while the weights are still updated. Call ${model}.train() at the start of each training epoch.`,
        ins
          ? [
              {
                title: `Insert ${model}.train()`,
                edits: [{ from: ins.at, to: ins.at, insert: `${ins.indent}${model}.train()${py.lines.eol}` }],
                preferred: true,
              },
            ]
          : [],
      );
    }
  },
};

/** The statement of the loop's body that holds the node. */
function statementIn(loop: SyntaxNode, node: SyntaxNode): SyntaxNode | null {
  for (let n: SyntaxNode | null = node; n; n = n.parent) {
    const owner = n.parent?.name === 'Body' ? n.parent.parent : null;
    if (owner && sameNode(owner, loop)) return n;
  }
  return null;
}
