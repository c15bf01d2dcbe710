/** Losses, mean over the batch, each writing d loss / d output into `grad`. */

/** Softmax cross-entropy on logits [batch, classes]; returns the loss and counts correct argmax predictions. */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: Float32Array,
  batch: number,
  classes: number,
  grad: Float32Array | undefined,
  result: { loss: number; correct: number },
): void {
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (logits[row + c]! > max) {
        max = logits[row + c]!;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    const label = labels[b]!;
    const logSum = Math.log(sum) + max;
    loss += logSum - logits[row + label]!;
    if (arg === label) correct++;
    if (grad) {
      for (let c = 0; c < classes; c++)
        grad[row + c] = (Math.exp(logits[row + c]! - logSum) - (c === label ? 1 : 0)) / batch;
    }
  }
  result.loss = loss / batch;
  result.correct = correct;
}

/** Softmax of one row into `out`. */
export function softmaxRow(
  logits: Float32Array,
  offset: number,
  classes: number,
  out: Float32Array | Float64Array,
  outOffset: number,
): void {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, logits[offset + c]!);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(logits[offset + c]! - max);
  for (let c = 0; c < classes; c++) out[outOffset + c] = Math.exp(logits[offset + c]! - max) / sum;
}

/** Mean squared error over every element (PyTorch's MSELoss with reduction 'mean'). */
export function meanSquaredError(
  pred: Float32Array,
  target: Float32Array,
  count: number,
  grad: Float32Array | undefined,
  result: { loss: number; correct: number },
): void {
  let loss = 0;
  for (let i = 0; i < count; i++) {
    const d = pred[i]! - target[i]!;
    loss += d * d;
    if (grad) grad[i] = (2 * d) / count;
  }
  result.loss = loss / count;
  result.correct = 0;
}
