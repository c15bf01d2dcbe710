/**
 * What a dropout layer's row says and draws: its kind, and the rows of its mask heatmap. A dropout2d layer's mask
 * is one bit per channel (its LayerMask's `units` is the channel count), so its heatmap is channels × steps.
 */
import type { LayerInfo } from '../../src/protocol/engine';

export interface MaskRows {
  /** For the row's heading: "spatial dropout", "channel dropout (dropout2d)", "DropConnect". */
  kind: string;
  /** Rows of the heatmap. */
  rows: number;
  rowName: 'units' | 'channels';
}

export function maskRows(info: LayerInfo): MaskRows {
  switch (info.spec.type) {
    case 'dropout':
      return { kind: `${info.spec.kind} dropout`, rows: info.units, rowName: 'units' };
    case 'dropout2d':
      return { kind: 'channel dropout (dropout2d)', rows: info.shape?.[0] ?? info.units, rowName: 'channels' };
    default:
      return { kind: 'DropConnect', rows: info.units, rowName: 'units' };
  }
}
