import type { PanelToHostMessage } from '../../src/protocol/webview';

export interface PanelState {
  runId?: string;
  view: 'live' | 'curves';
}

interface VsCodeApi {
  postMessage(message: PanelToHostMessage): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode = acquireVsCodeApi();
export const post = (message: PanelToHostMessage) => vscode.postMessage(message);
