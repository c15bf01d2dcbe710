/**
 * Exports of a run: JSON (the run file's format) and CSV with one row per epoch. Comparing two runs is in
 * ./compare, the gap arithmetic in ./metrics.
 */
import type { RunEpoch, RunRecord } from './format';

/** The record as pretty-printed JSON, the same format as the run file. */
export function exportRunJson(record: RunRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}

export const CSV_COLUMNS = [
  'member',
  'epoch',
  'lr',
  'train_loss',
  'train_accuracy',
  'val_loss',
  'val_accuracy',
  'val_train_mode_loss',
  'val_train_mode_accuracy',
] as const;

function cell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One row per epoch; `member` is empty for the run's own epochs and the member's key otherwise. */
export function exportRunCsv(record: RunRecord): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  const push = (member: string, e: RunEpoch) =>
    rows.push(
      [
        member,
        e.epoch,
        e.lr,
        e.train.loss,
        e.train.accuracy,
        e.validation.loss,
        e.validation.accuracy,
        e.validationTrainMode?.loss,
        e.validationTrainMode?.accuracy,
      ]
        .map(cell)
        .join(','),
    );
  for (const e of record.epochs) push('', e);
  for (const m of record.members ?? []) for (const e of m.epochs) push(m.key, e);
  return rows.join('\n') + '\n';
}
