/**
 * A dataset as the trainer consumes it: flat, row-major, already split and standardized.
 * Classification labels are class indices stored as floats; regression targets are the values.
 */
import type { ImageShape } from '../protocol/modelSpec';

export interface Split {
  /** [n, inputDim] row-major. */
  x: Float32Array;
  /** [n] class indices (classification) or [n, outputDim] targets (regression). */
  y: Float32Array;
  n: number;
}

export interface Dataset {
  inputDim: number;
  /** Images: each row is one [C, H, W] image in NCHW order (C*H*W = inputDim). Absent: plain feature rows. */
  shape?: ImageShape;
  /** Number of classes; 0 for regression. */
  classes: number;
  /** Regression target width (1 for the built-in regression); unused for classification. */
  outputDim: number;
  train: Split;
  validation: Split;
  /** Class names when labels were strings in a CSV, else undefined. */
  classNames?: string[];
}
