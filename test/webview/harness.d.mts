import type { Browser, Page } from 'playwright-core';
import type { EngineEvent } from '../../src/protocol/engine';
import type { ModelSpec } from '../../src/protocol/modelSpec';
import type { PanelSnapshot } from '../../src/protocol/webview';

export declare const root: string;
export declare function ensurePanelBuilt(): boolean;
export declare function engineRun(spec: ModelSpec, steps: number): EngineEvent[];
export declare function moons(units: number, dropoutLayers?: number): ModelSpec;
export declare function snapshotOf(events: EngineEvent[], name: string): PanelSnapshot;
export declare function plain<T>(value: T): unknown;
export declare function startPanelServer(): Promise<{ base: string; close(): void }>;
export declare function openPanel(
  browser: Browser,
  base: string,
): Promise<{ page: Page; problems: string[]; deliver(message: unknown): Promise<void> }>;
