/** Validators for everything that crosses a trust boundary. They return a typed value or a precise error. */
import type { ControlAction, PanelCommand, PanelToHostMessage } from './webview';

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

const CONTROL_ACTIONS: readonly ControlAction[] = ['pause', 'resume', 'step', 'stop'];
const PANEL_COMMANDS: readonly PanelCommand[] = ['train', 'openConfig', 'showLogs'];
const MAX_LAYER_INDEX = 1024;

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

export function parseWebviewMessage(raw: unknown): Validated<PanelToHostMessage> {
  if (!isRecord(raw)) return fail('message is not an object');
  switch (raw.type) {
    case 'ready':
      return { ok: true, value: { type: 'ready' } };
    case 'control':
      if (!CONTROL_ACTIONS.includes(raw.action as ControlAction)) return fail(`unknown control action ${JSON.stringify(raw.action)}`);
      return { ok: true, value: { type: 'control', action: raw.action as ControlAction } };
    case 'setMode':
      if (raw.layer !== null && !isLayerIndex(raw.layer)) return fail(`setMode: layer must be null or a layer index, got ${JSON.stringify(raw.layer)}`);
      if (raw.mode !== 'train' && raw.mode !== 'eval') return fail(`setMode: mode must be "train" or "eval", got ${JSON.stringify(raw.mode)}`);
      return { ok: true, value: { type: 'setMode', layer: raw.layer as number | null, mode: raw.mode } };
    case 'setRate':
      if (!isLayerIndex(raw.layer)) return fail(`setRate: layer must be a layer index, got ${JSON.stringify(raw.layer)}`);
      if (!isDropRate(raw.rate)) return fail(`setRate: rate must be a number in [0, 1), got ${JSON.stringify(raw.rate)}`);
      return { ok: true, value: { type: 'setRate', layer: raw.layer, rate: raw.rate } };
    case 'runCommand':
      if (!PANEL_COMMANDS.includes(raw.command as PanelCommand)) return fail(`unknown panel command ${JSON.stringify(raw.command)}`);
      return { ok: true, value: { type: 'runCommand', command: raw.command as PanelCommand } };
    default:
      return fail(`unknown message type ${JSON.stringify(raw.type)}`);
  }
}
