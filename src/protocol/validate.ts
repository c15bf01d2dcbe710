/** Validators for everything that crosses a trust boundary. They return a typed value or a precise error. */
import { MAX_PREDICT_PASSES, MAX_PREDICT_VALUES, type PredictCommand, type PredictMode } from './engine';
import { LAYER_MODES } from './vocabulary';
import type { LayerMode } from './modelSpec';
import {
  MAX_CHART_PNG_CHARS,
  MAX_PANEL_MC_PASSES,
  type ControlAction,
  type PanelChart,
  type PanelCommand,
  type PanelToHostMessage,
} from './webview';

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

const CONTROL_ACTIONS: readonly ControlAction[] = ['pause', 'resume', 'step', 'stop'];
const PANEL_COMMANDS: readonly PanelCommand[] = ['train', 'openConfig', 'showLogs'];
const PANEL_CHARTS: readonly PanelChart[] = ['loss', 'accuracy'];
const MAX_LAYER_INDEX = 1024;
const PREDICT_MODES: readonly PredictMode[] = ['own', 'eval', 'train', 'mc'];
const MAX_REQUEST_ID = 200;
const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';
/** The 8-byte PNG signature (89 50 4E 47 0D 0A 1A 0A) in base64, as the first 11 characters of the payload. */
const PNG_SIGNATURE_BASE64 = 'iVBORw0KGgo';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLayerIndex(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < MAX_LAYER_INDEX;
}

export function isDropRate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 1;
}

function fail<T>(error: string): Validated<T> {
  return { ok: false, error };
}

/** Why `value` is not a PNG data URL of bounded size, or undefined when it is one. */
export function pngDataUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length > MAX_CHART_PNG_CHARS) return `is ${value.length} characters, more than ${MAX_CHART_PNG_CHARS}`;
  if (!value.startsWith(PNG_DATA_URL_PREFIX)) return `does not start with ${PNG_DATA_URL_PREFIX}`;
  const payload = value.slice(PNG_DATA_URL_PREFIX.length);
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) return 'is not valid base64';
  if (!payload.startsWith(PNG_SIGNATURE_BASE64)) return 'is not a PNG image (no PNG signature)';
  return undefined;
}

export function parseWebviewMessage(raw: unknown): Validated<PanelToHostMessage> {
  if (!isRecord(raw)) return fail('message is not an object');
  switch (raw.type) {
    case 'ready':
      return { ok: true, value: { type: 'ready' } };
    case 'control':
      if (!CONTROL_ACTIONS.includes(raw.action as ControlAction))
        return fail(`unknown control action ${JSON.stringify(raw.action)}`);
      return { ok: true, value: { type: 'control', action: raw.action as ControlAction } };
    case 'setMode':
      if (raw.layer !== null && !isLayerIndex(raw.layer))
        return fail(`setMode: layer must be null or a layer index, got ${JSON.stringify(raw.layer)}`);
      if (raw.mode !== 'train' && raw.mode !== 'eval')
        return fail(`setMode: mode must be "train" or "eval", got ${JSON.stringify(raw.mode)}`);
      return { ok: true, value: { type: 'setMode', layer: raw.layer, mode: raw.mode } };
    case 'setRate':
      if (!isLayerIndex(raw.layer))
        return fail(`setRate: layer must be a layer index, got ${JSON.stringify(raw.layer)}`);
      if (!isDropRate(raw.rate))
        return fail(`setRate: rate must be a number in [0, 1), got ${JSON.stringify(raw.rate)}`);
      return { ok: true, value: { type: 'setRate', layer: raw.layer, rate: raw.rate } };
    case 'runCommand':
      if (!PANEL_COMMANDS.includes(raw.command as PanelCommand))
        return fail(`unknown panel command ${JSON.stringify(raw.command)}`);
      return { ok: true, value: { type: 'runCommand', command: raw.command as PanelCommand } };
    case 'exportChart': {
      if (!PANEL_CHARTS.includes(raw.chart as PanelChart))
        return fail(`exportChart: unknown chart ${JSON.stringify(raw.chart)}`);
      const problem = pngDataUrlProblem(raw.dataUrl);
      if (problem) return fail(`exportChart: dataUrl ${problem}`);
      return {
        ok: true,
        value: { type: 'exportChart', chart: raw.chart as PanelChart, dataUrl: raw.dataUrl as string },
      };
    }
    case 'predict':
      if (raw.passes === undefined) return { ok: true, value: { type: 'predict' } };
      if (!Number.isInteger(raw.passes) || (raw.passes as number) < 2 || (raw.passes as number) > MAX_PANEL_MC_PASSES)
        return fail(
          `predict: passes must be an integer from 2 to ${MAX_PANEL_MC_PASSES}, got ${JSON.stringify(raw.passes)}`,
        );
      return { ok: true, value: { type: 'predict', passes: raw.passes as number } };
    default:
      return fail(`unknown message type ${JSON.stringify(raw.type)}`);
  }
}

/**
 * A `predict` command's own shape: request id, pass count, modes, inputs, output and seed. What depends on the
 * model (a layer index beyond its layers, inputs that are not whole rows) the engine checks against it.
 */
export function parsePredictCommand(raw: unknown): Validated<PredictCommand> {
  if (!isRecord(raw) || raw.type !== 'predict') return fail('predict: not a predict command');
  const { requestId, passes, mode, layers, inputs, output, seed } = raw;
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > MAX_REQUEST_ID)
    return fail(`predict: requestId must be a string of 1 to ${MAX_REQUEST_ID} characters`);
  if (!Number.isInteger(passes) || (passes as number) < 1 || (passes as number) > MAX_PREDICT_PASSES)
    return fail(`predict: passes must be an integer from 1 to ${MAX_PREDICT_PASSES}, got ${JSON.stringify(passes)}`);
  if (!PREDICT_MODES.includes(mode as PredictMode))
    return fail(`predict: mode must be one of ${PREDICT_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const command: PredictCommand = {
    type: 'predict',
    requestId,
    passes: passes as number,
    mode: mode as PredictMode,
  };
  if (layers !== undefined) {
    if (!Array.isArray(layers) || layers.length > MAX_LAYER_INDEX)
      return fail('predict: layers must be a list of { layer, mode } overrides');
    const overrides: { layer: number; mode: LayerMode }[] = [];
    for (const entry of layers as unknown[]) {
      if (!isRecord(entry) || !isLayerIndex(entry.layer) || !LAYER_MODES.includes(entry.mode as LayerMode))
        return fail(
          `predict: a layer override must be { layer: index, mode: "train" | "eval" }, got ${JSON.stringify(entry)}`,
        );
      overrides.push({ layer: entry.layer, mode: entry.mode as LayerMode });
    }
    command.layers = overrides;
  }
  if (inputs !== undefined) {
    if (!(inputs instanceof Float32Array)) return fail('predict: inputs must be a Float32Array');
    if (inputs.length === 0) return fail('predict: inputs hold no value; give at least one row');
    if (inputs.length > MAX_PREDICT_VALUES)
      return fail(`predict: inputs hold ${inputs.length} values, more than ${MAX_PREDICT_VALUES}`);
    if (!inputs.every(Number.isFinite)) return fail('predict: inputs must be finite numbers');
    command.inputs = inputs;
  }
  if (output !== undefined) {
    if (output !== 'summary' && output !== 'passes')
      return fail(`predict: output must be "summary" or "passes", got ${JSON.stringify(output)}`);
    command.output = output;
  }
  if (seed !== undefined) {
    if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 0xffffffff)
      return fail(`predict: seed must be an integer from 0 to 2^32 - 1, got ${JSON.stringify(seed)}`);
    command.seed = seed as number;
  }
  return { ok: true, value: command };
}
