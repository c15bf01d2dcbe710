import * as vscode from 'vscode';
import type { WorkerSetting } from '../protocol/engine';
import type { RuleId, Severity } from '../protocol/findings';
import { parseWorkerSetting } from '../engine/parallel/choice';

export interface DiagnosticsSettings {
  enabled: boolean;
  rules: Partial<Record<RuleId, boolean>>;
  severities: Partial<Record<RuleId, Severity>>;
  exclude: string[];
  debounceMs: number;
  /** `workspace`: every supported file of the workspace is analysed, opened or not; `openFiles`: only open ones. */
  scope: 'workspace' | 'openFiles';
}

export function diagnosticsSettings(scope?: vscode.ConfigurationScope): DiagnosticsSettings {
  const config = vscode.workspace.getConfiguration('dropoutLens.diagnostics', scope);
  return {
    enabled: config.get('enabled', true),
    // Copies: what get() returns for objects is a read-only proxy, which cannot be posted to the analysis worker.
    rules: { ...config.get('rules', {}) },
    severities: { ...config.get('severity', {}) },
    exclude: [...config.get<string[]>('exclude', [])],
    debounceMs: config.get('debounceMs', 300),
    scope: config.get<string>('scope', 'workspace') === 'openFiles' ? 'openFiles' : 'workspace',
  };
}

export function trainingSettings() {
  const config = vscode.workspace.getConfiguration('dropoutLens');
  return {
    streamHz: config.get('training.maskUpdatesPerSecond', 30),
    /** Engine workers per training run (a bad value falls back to auto). */
    workers: parseWorkerSetting(config.get<unknown>('engine.workers', 'auto')) ?? ('auto' satisfies WorkerSetting),
    openPanelOnStart: config.get('training.openPanelOnStart', true),
    runsFolder: config.get('runsFolder', '.dropout-lens/runs'),
    maxParallelRuns: config.get('experiments.maxParallelRuns', 0),
    sweepRates: config.get<number[]>('experiments.sweepRates', [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
    mcSamples: config.get('experiments.mcSamples', 30),
    /** Seeds per experiment point: a whole number from 1 to 100 (a bad value falls back to 5). */
    seeds: wholeSeeds(config.get<number>('experiments.seeds', 5)),
  };
}

function wholeSeeds(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 100 ? value : 5;
}
