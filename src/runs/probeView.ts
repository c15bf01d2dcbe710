/**
 * A probe run as the run panel and the Problems panel show it: the records of every rank turned into the panel's
 * snapshot (one row per dropout module and rank, its masks over the sampled steps and its mode) and the findings
 * observed at run time. Pure: the records come from `ProbeTail` or any reader.
 */
import type { EngineEvent, LayerInfo, LayerMask } from '../protocol/engine';
import { MASK_HISTORY, type PanelSnapshot } from '../protocol/webview';
import type { ProbeFinding, ProbeRunRecord } from './probe';

/** One rank's records, in file order. */
export interface RankRecords {
  rank: number | string | null;
  records: Record<string, unknown>[];
}

interface Row {
  key: string;
  name: string;
  rank: number | string | null;
  p: number;
  mode: 'train' | 'eval';
  masks: LayerMask[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/**
 * A mask slice (`1` kept, `0` dropped, `.` ambiguous: the unit's input was already zero) packed LSB first as the
 * panel draws it. Ambiguous units are drawn as kept: nothing says they were dropped.
 */
export function packMask(slice: string): Uint8Array {
  const bits = new Uint8Array(Math.ceil(slice.length / 8));
  for (let i = 0; i < slice.length; i++) if (slice[i] !== '0') bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

/** The rank a file's records say they are (its header, or a later `rank` record). */
export function rankOfRecords(
  records: readonly Record<string, unknown>[],
  fallback: number | string | null,
): number | string | null {
  let rank = fallback;
  for (const r of records)
    if ((r['t'] === 'header' || r['t'] === 'rank') && typeof r['rank'] === 'number') rank = r['rank'];
  return rank;
}

export function probeSnapshot(record: ProbeRunRecord, ranks: readonly RankRecords[]): PanelSnapshot {
  const rows = new Map<string, Row>();
  const several = ranks.length > 1;
  const rowOf = (rank: number | string | null, name: string, p: number): Row => {
    const key = `${String(rank)}\u0000${name}`;
    let row = rows.get(key);
    if (!row) {
      row = { key, name: several ? `${name} (rank ${String(rank)})` : name, rank, p, mode: 'train', masks: [] };
      rows.set(key, row);
    }
    return row;
  };
  let step = 0;
  // The first and last sampled forwards (step, time): the script's speed between them.
  let first: { step: number; time: number } | undefined;
  let last: { step: number; time: number } | undefined;
  for (const { rank, records } of ranks) {
    for (const r of records) {
      if (r['t'] === 'model' && Array.isArray(r['modules'])) {
        for (const m of r['modules'])
          if (isObject(m) && typeof m['name'] === 'string' && m['kind'] !== 'BatchNorm')
            rowOf(rank, m['name'], num(m['p']));
      } else if (r['t'] === 'fwd') {
        const s = num(r['step']);
        step = Math.max(step, s);
        const time = num(r['time'], NaN);
        if (Number.isFinite(time)) {
          if (!first || time < first.time) first = { step: s, time };
          if (!last || time > last.time) last = { step: s, time };
        }
        if (isObject(r['modes']))
          for (const [name, mode] of Object.entries(r['modes'])) {
            const row = rows.get(`${String(rank)}\u0000${name}`);
            if (row) row.mode = mode === 1 ? 'train' : 'eval';
          }
        for (const call of Array.isArray(r['calls']) ? r['calls'] : []) {
          if (!isObject(call) || typeof call['name'] !== 'string') continue;
          const row = rowOf(rank, call['name'], num(call['p']));
          if (typeof call['training'] === 'boolean' && String(call['kind']).startsWith('F.'))
            row.mode = call['training'] ? 'train' : 'eval';
          if (typeof call['mask'] !== 'string' || call['mask'].length === 0) continue;
          row.masks.push({
            layer: 0,
            units: call['mask'].length,
            bits: packMask(call['mask']),
            rate: row.p,
            realizedDropFraction: num(call['drop']),
          });
          if (row.masks.length > MASK_HISTORY) row.masks.shift();
        }
      }
    }
  }
  // The summaries count every step and know each module's last mode, sampled or not: the end of a run whose last
  // forwards (a validation in eval mode, say) fell between sampled steps. The run's own summary when it ended,
  // else each rank's latest summary record.
  const summaries: { rank: number | string | null; steps: number; modules: unknown[] }[] = [];
  if (record.summary) summaries.push({ rank: null, steps: num(record.summary.steps), modules: record.summary.modules });
  else
    for (const { rank, records } of ranks) {
      const last = records.findLast((r) => r['t'] === 'summary');
      if (last)
        summaries.push({
          rank,
          steps: num(last['steps']),
          modules: Array.isArray(last['modules']) ? last['modules'] : [],
        });
    }
  for (const summary of summaries) {
    step = Math.max(step, summary.steps);
    for (const m of summary.modules) {
      if (!isObject(m) || typeof m['name'] !== 'string' || (m['mode'] !== 'train' && m['mode'] !== 'eval')) continue;
      const rank = summary.rank ?? (typeof m['rank'] === 'number' || typeof m['rank'] === 'string' ? m['rank'] : null);
      const row = rows.get(`${String(rank)}\u0000${m['name']}`);
      if (row) row.mode = m['mode'];
    }
  }
  const ordered = [...rows.values()];
  const layers: LayerInfo[] = ordered.map((row, index) => ({
    index,
    name: row.name,
    spec: { type: 'dropout', rate: row.p, kind: 'bernoulli', scaling: 'inverted' },
    units: Math.max(1, ...row.masks.map((m) => m.units)),
    mode: row.mode,
    rate: row.p,
  }));
  // Masks replayed column by column, as a panel open all along would have drawn them.
  const recent: EngineEvent[] = [];
  const columns = Math.max(0, ...ordered.map((r) => r.masks.length));
  for (let c = 0; c < columns; c++) {
    const masks: LayerMask[] = [];
    ordered.forEach((row, index) => {
      const offset = columns - row.masks.length;
      const mask = row.masks[c - offset];
      if (mask) masks.push({ ...mask, layer: index });
    });
    if (masks.length > 0) recent.push({ type: 'masks', step: c, layers: masks });
  }
  const running = record.status === 'running';
  const elapsed = first && last ? last.time - first.time : 0;
  const rankText = several ? `, ${ranks.length} ranks` : '';
  return {
    runId: record.id,
    name: `${record.config.name} (probe run${rankText})`,
    status: record.status === 'running' ? 'running' : record.status,
    message:
      record.status === 'failed' && record.message
        ? record.message.trim().split('\n').slice(-1)[0]!
        : `${running ? 'Recording' : 'Recorded'} ${rows.size} dropout ${rows.size === 1 ? 'layer' : 'layers'}${rankText}` +
          ` over ${step} steps; masks of sampled steps (the first sample's first units; a unit whose input was` +
          ' already zero is drawn as kept).',
    layers,
    task: 'classification',
    inputDim: 0,
    epochs: [],
    totalEpochs: 0,
    step,
    stepsPerSecond: first && last && elapsed > 0 ? (last.step - first.step) / elapsed : 0,
    recent,
    source: 'probe',
  };
}

/** The run's findings: the summary's when the run ended, else every rank's `finding` records so far. */
export function probeFindings(record: ProbeRunRecord, ranks: readonly RankRecords[]): ProbeFinding[] {
  if (record.summary) return record.summary.findings;
  const out: ProbeFinding[] = [];
  const seen = new Set<string>();
  for (const { rank, records } of ranks)
    for (const r of records) {
      if (r['t'] !== 'finding' || typeof r['rule'] !== 'string' || typeof r['file'] !== 'string') continue;
      const key = `${String(rank)}|${r['rule']}|${r['file']}|${num(r['line'])}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        rule: r['rule'],
        file: r['file'],
        line: num(r['line'], 1),
        message: typeof r['message'] === 'string' ? r['message'] : r['rule'],
        rank,
        observed: 'runtime',
      });
    }
  return out;
}
