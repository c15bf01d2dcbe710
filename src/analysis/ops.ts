/** Layer sequences shared by Python, Keras JSON and configs: output, input and batch-norm checks. */
import type { Finding, RuleId, TextEdit } from '../protocol/findings';
import { defaultSeverity } from './rules';
import type { LineMap } from './text';

export type OpKind = 'weight' | 'dropout' | 'bn' | 'act' | 'neutral' | 'unknown';

export interface Op {
  kind: OpKind;
  /** Where the op is applied or declared (offsets). */
  at: [number, number];
  /** Layer type, for messages. */
  label: string;
  rate?: number;
  /** Offsets of the rate's source text, if literal. */
  rateAt?: [number, number];
  /** Edits (offsets) that remove this op. */
  remove?: { from: number; to: number; insert: string }[];
  /** A convolution (a weight op): dropout-before-batchnorm looks through one to the batch norm after it. */
  conv?: boolean;
  /** A dropout that drops whole channels (Dropout2d, SpatialDropout2D, a config's dropout2d). */
  channels?: boolean;
}

/** A related location as emit() takes it: a range in offsets. */
export interface EmitRelated {
  at: [number, number];
  message: string;
}

/** A fix as emit() takes it: edits in offsets. */
export interface EmitFix {
  title: string;
  edits: { from: number; to: number; insert: string }[];
  preferred?: boolean;
}

export class Emitter {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  /** Sees every emit() call, duplicates included (the Python analysis records them to replay later). */
  tap:
    ((rule: RuleId, at: [number, number], message: string, fixes: EmitFix[], related: EmitRelated[]) => void) | null =
    null;
  constructor(readonly lines: LineMap) {}
  emit(rule: RuleId, at: [number, number], message: string, fixes: EmitFix[] = [], related: EmitRelated[] = []): void {
    if (this.tap) this.tap(rule, at, message, fixes, related);
    const key = `${rule}@${at[0]}:${at[1]}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push({
      rule,
      severity: defaultSeverity(rule),
      range: this.lines.range(at[0], at[1]),
      message,
      fixes: fixes.map((f) => ({
        title: f.title,
        ...(f.preferred ? { preferred: true } : {}),
        edits: f.edits.map((e): TextEdit => ({ range: this.lines.range(e.from, e.to), newText: e.insert })),
      })),
      ...(related.length > 0
        ? { related: related.map((r) => ({ range: this.lines.range(r.at[0], r.at[1]), message: r.message })) }
        : {}),
    });
  }
}

export const KEEP_PROB_MIN = 0.8;
export const INPUT_RATE_MAX = 0.2;

export function fmtRate(x: number): string {
  return String(Number(x.toFixed(6)));
}

/** Where a rate written elsewhere came from: said in the message; a fix edits the literal it was written as. */
export interface RateSource {
  via: string;
  literalAt?: [number, number];
  /** The literal's line calls it a keep probability: the fix converts at the use (`1 - KEEP`), keeping its meaning. */
  documentedKeep?: boolean;
  /** The rate expression as written at the use. */
  useText?: string;
}

/** Checks one rate where the dropout is created. Returns true when it reported. */
export function checkRate(
  em: Emitter,
  rate: number | undefined,
  at: [number, number] | undefined,
  what: string,
  source?: RateSource,
): boolean {
  return checkRateRange(em, rate, at, what, source) || checkKeepProbRate(em, rate, at, what, source);
}

/** dropout-rate-out-of-range: a rate outside [0, 1). Returns true when it reported. */
export function checkRateRange(
  em: Emitter,
  rate: number | undefined,
  at: [number, number] | undefined,
  what: string,
  source?: RateSource,
): boolean {
  if (rate === undefined || !at || (rate >= 0 && rate < 1)) return false;
  const shown = source ? `${rate} (${source.via})` : `${rate}`;
  const fixAt = source ? source.literalAt : at;
  // 30 for 30%: the drop rate as a percentage.
  const percent = Number.isInteger(rate) && rate >= 2 && rate < 100 ? fmtRate(rate / 100) : undefined;
  em.emit(
    'dropout-rate-out-of-range',
    at,
    rate >= 1
      ? `${what} has rate ${shown}: a drop probability of 1 or more drops every unit (PyTorch and Keras raise an error). ${percent ? `If ${rate} is a percentage, use ${percent}.` : 'Use a drop rate in [0, 1), e.g. 0.5.'}`
      : `${what} has a negative rate ${shown}: PyTorch and Keras raise an error. Use a drop rate in [0, 1).`,
    percent && fixAt
      ? [
          {
            title: `Use ${percent} (${rate}%)`,
            edits: [{ from: fixAt[0], to: fixAt[1], insert: percent }],
            preferred: true,
          },
        ]
      : [],
  );
  return true;
}

/** keep-prob-confusion: a rate in [0, 1) that looks like (or is documented as) a keep probability. */
export function checkKeepProbRate(
  em: Emitter,
  rate: number | undefined,
  at: [number, number] | undefined,
  what: string,
  source?: RateSource,
): boolean {
  if (rate === undefined || !at || rate < 0 || rate >= 1) return false;
  if (!(rate >= KEEP_PROB_MIN || (source?.documentedKeep && rate > 0))) return false;
  const shown = source ? `${rate} (${source.via})` : `${rate}`;
  const fixAt = source ? source.literalAt : at;
  const fixed = fmtRate(1 - rate);
  const looks = rate >= KEEP_PROB_MIN ? 'looks like' : 'is documented as';
  const atUse = source?.documentedKeep && source.useText !== undefined;
  const edit = atUse
    ? { from: at[0], to: at[1], insert: `1 - ${source.useText}` }
    : fixAt && { from: fixAt[0], to: fixAt[1], insert: fixed };
  em.emit(
    'keep-prob-confusion',
    at,
    `${what} drops ${Math.round(rate * 100)}% of units: ${shown} ${looks} a keep probability (TensorFlow 1 convention), but here it is the drop rate. If you meant to keep ${Math.round(rate * 100)}%, use ${fixed}.`,
    edit
      ? [
          {
            title: atUse ? `Use 1 - ${source.useText}` : `Convert keep probability ${rate} to drop rate ${fixed}`,
            edits: [edit],
            preferred: true,
          },
        ]
      : [],
  );
  return true;
}

export interface SequenceOptions {
  /** The sequence starts at the network input. */
  input: boolean;
  /** The sequence ends at the network output. */
  output: boolean;
  where: string;
}

/** The first op from `from` on that is not neutral (pooling, flatten, reshape), and its index. */
function nextActive(ops: readonly Op[], from: number): [Op | undefined, number] {
  for (let i = from; i < ops.length; i++) if (ops[i]!.kind !== 'neutral') return [ops[i], i];
  return [undefined, ops.length];
}

export function checkSequence(em: Emitter, ops: readonly Op[], opts: SequenceOptions): void {
  checkDropoutBeforeBatchnorm(em, ops, opts);
  checkInputDropout(em, ops, opts);
  checkOutputDropout(em, ops, opts);
}

/**
 * dropout-before-batchnorm: a dropout whose next op (past neutral ones) is batch norm, directly or through one
 * convolution (Dropout2d → Conv2d → BatchNorm2d): the convolution is linear, so the variance dropout adds in training
 * reaches the batch norm's statistics as well.
 */
export function checkDropoutBeforeBatchnorm(em: Emitter, ops: readonly Op[], opts: SequenceOptions): void {
  for (const [i, op] of ops.entries()) {
    if (op.kind !== 'dropout') continue;
    const [next, at] = nextActive(ops, i + 1);
    if (next?.kind === 'bn') {
      em.emit(
        'dropout-before-batchnorm',
        op.at,
        `${op.label} feeds directly into ${next.label} in ${opts.where}: batch norm learns its running statistics under dropout noise, but at inference dropout is off, so the variance shifts and accuracy drops. Move the dropout after the batch norm (or after the activation that follows it).`,
      );
    } else if (next?.kind === 'weight' && next.conv) {
      const [bn] = nextActive(ops, at + 1);
      if (bn?.kind === 'bn')
        em.emit(
          'dropout-before-batchnorm',
          op.at,
          `${op.label} feeds ${bn.label} through ${next.label} in ${opts.where}: the convolution passes the dropout noise on, so batch norm learns its running statistics under it, but at inference dropout is off, the variance shifts and accuracy drops. Move the dropout after the batch norm (or after the activation that follows it).`,
        );
    }
  }
}

/** high-input-dropout: the first op of a sequence that starts at the network input drops more than INPUT_RATE_MAX. */
export function checkInputDropout(em: Emitter, ops: readonly Op[], opts: SequenceOptions): void {
  if (!opts.input) return;
  const first = ops.find((o) => o.kind !== 'neutral');
  if (
    first &&
    first.kind === 'dropout' &&
    first.rate !== undefined &&
    first.rate > INPUT_RATE_MAX &&
    first.rate < KEEP_PROB_MIN
  ) {
    em.emit(
      'high-input-dropout',
      first.rateAt ?? first.at,
      `${first.label} drops ${Math.round(first.rate * 100)}% of the input ${first.channels ? 'channels (of a one-channel image, the whole image)' : 'features'} every training step in ${opts.where}, destroying much of the signal before any layer sees it. Use at most about 0.2 on inputs (0.5 is a hidden-layer rate).`,
    );
  }
}

/** dropout-on-output: dropout after the last weight layer of a sequence that ends at the network output. */
export function checkOutputDropout(em: Emitter, ops: readonly Op[], opts: SequenceOptions): void {
  if (!opts.output) return;
  const last = ops.findLastIndex((o) => o.kind === 'weight' || o.kind === 'unknown');
  const lastWeight = ops[last];
  if (lastWeight?.kind !== 'weight') return;
  for (const op of ops.slice(last + 1)) {
    if (op.kind !== 'dropout') continue;
    em.emit(
      'dropout-on-output',
      op.at,
      `${op.label} comes after the last weight layer (${lastWeight.label}) of ${opts.where}: during training it randomly zeroes the network's outputs, adding noise to the loss without regularizing any features. Remove it, or move it before ${lastWeight.label}.`,
      op.remove ? [{ title: 'Remove the output dropout', edits: op.remove, preferred: true }] : [],
    );
  }
}
