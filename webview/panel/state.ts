/**
 * The run panel's state: one object, changed only through `update`, so every change has one path (and one
 * place to log or test). What it holds is what main.ts draws from: the snapshot, the epochs so far, the views
 * of the dropout layers, the two charts, the theme, and whether the charts need a redraw.
 */
import type { LayerActivationStats, LayerInfo } from '../../src/protocol/engine';
import type { EpochRecord, PanelSnapshot } from '../../src/protocol/webview';
import type { Curves } from './curves';
import type { FeatureMapsView } from './featureMaps';
import type { MaskHeatmap } from './heatmap';
import type { Theme } from './theme';

/** One dropout layer's row. Its DOM nodes and its latest streamed figures belong to it, not to the state. */
export interface LayerView {
  info: LayerInfo;
  row: HTMLElement;
  heatmap: MaskHeatmap;
  toggle: HTMLButtonElement;
  realized: HTMLElement;
  rate: HTMLElement;
  histogram: HTMLCanvasElement;
  expectation: HTMLElement;
  /** A dropout2d layer's feature maps of the first example, before and after dropout. */
  featureMaps?: FeatureMapsView;
  /** The latest streamed figures, drawn with the next animation frame. */
  realizedDrop?: number;
  activations?: LayerActivationStats;
}

export interface PanelState {
  readonly theme: Theme;
  /** The run being shown; absent until the host sends one. */
  readonly snapshot?: PanelSnapshot;
  readonly epochs: readonly EpochRecord[];
  /** Dropout layers by layer index. */
  readonly layers: ReadonlyMap<number, LayerView>;
  readonly loss?: Curves;
  readonly accuracy?: Curves;
  /** New epochs (or a new theme) not yet drawn into the charts. */
  readonly dirtyCurves: boolean;
}

export interface PanelStore {
  readonly state: PanelState;
  update(change: Partial<PanelState>): void;
}

export function createPanelStore(theme: Theme): PanelStore {
  let state: PanelState = { theme, epochs: [], layers: new Map(), dirtyCurves: false };
  return {
    get state() {
      return state;
    },
    update(change) {
      state = { ...state, ...change };
    },
  };
}
