/**
 * The sidebar's "Model" view: the active model's layers, each with its dropout and a train/eval badge
 * that switches the layer when clicked, and the run's latest metrics. Empty (so the welcome text with
 * its buttons shows) when there is neither a run nor an open config.
 */
import * as vscode from 'vscode';
import type { LayerMode, LayerSpec, ModelSpec } from '../protocol/modelSpec';
import { activeConfigUri, isModelConfig } from './configFiles';
import { configCore } from './lazyCores';
import { dropoutSummary, hasMode, layerTitle } from './layerLabels';
import type { RunController } from './runController';

export type ModelNode =
  | { kind: 'summary'; label: string; description: string; tooltip: string }
  | {
      kind: 'layer';
      index: number;
      spec: LayerSpec;
      mode: LayerMode | undefined;
      rate: number | undefined;
      live: boolean;
    };

export class ModelView implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly controller: RunController) {
    this.disposables.push(
      controller.onDidChange(() => this.refresh()),
      controller.onDidStart((session) => {
        this.disposables.push(
          session.onEvent((event) => {
            if (event.type === 'ready' || event.type === 'modes' || event.type === 'rate') this.refresh();
            else if (event.type === 'epoch') this.refreshSoon();
          }),
        );
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isModelConfig(editor.document.uri)) this.refresh();
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (isModelConfig(doc.uri)) this.refresh();
      }),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  /** Epoch events can arrive hundreds of times a second on a small model: redraw at most twice a second. */
  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 500);
  }

  getChildren(): ModelNode[] {
    const session = this.controller.session;
    if (session && session.layers.length > 0) {
      const last = session.epochs.at(-1);
      const metrics = last
        ? `epoch ${last.epoch}/${session.spec.training.epochs} · loss ${last.train.loss.toFixed(3)} · val ${last.validation.loss.toFixed(3)}` +
          (last.validation.accuracy !== undefined ? ` · val acc ${(100 * last.validation.accuracy).toFixed(1)}%` : '')
        : `step ${session.step}`;
      return [
        {
          kind: 'summary',
          label: session.spec.name,
          description: `${session.status} · ${metrics}`,
          tooltip: `${vscode.workspace.asRelativePath(session.configUri)}\n${metrics}`,
        },
        // A dense layer's mode changes nothing it computes, so it gets no badge to click.
        ...session.layers.map((l): ModelNode => ({
          kind: 'layer',
          index: l.index,
          spec: l.spec,
          mode: hasMode(l.spec) ? l.mode : undefined,
          rate: l.rate,
          live: session.isActive,
        })),
      ];
    }
    const spec = this.activeSpec();
    if (!spec) return [];
    return [
      {
        kind: 'summary',
        label: spec.name,
        description: 'not trained yet',
        tooltip: 'Train it with the ▶ button above.',
      },
      ...spec.model.layers.map((layer, index): ModelNode => ({
        kind: 'layer',
        index,
        spec: layer,
        mode: undefined,
        rate: undefined,
        live: false,
      })),
    ];
  }

  private activeSpec(): ModelSpec | undefined {
    const uri = activeConfigUri();
    const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return doc ? configCore().parseModelConfig(doc.getText(), doc.uri.path).spec : undefined;
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    if (node.kind === 'summary') {
      const item = new vscode.TreeItem(node.label);
      item.description = node.description;
      item.tooltip = node.tooltip;
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      item.contextValue = 'summary';
      return item;
    }
    const dropout = dropoutSummary(node.spec, node.rate);
    const item = new vscode.TreeItem(`${node.index}  ${layerTitle(node.spec)}`);
    const badge = node.mode ? (node.mode === 'train' ? 'TRAIN' : 'EVAL') : '';
    item.description = [dropout, badge].filter(Boolean).join(' · ');
    item.contextValue = dropout ? 'layer-dropout' : node.spec.type === 'batchnorm' ? 'layer-batchnorm' : 'layer';
    item.iconPath = node.mode
      ? new vscode.ThemeIcon(
          node.mode === 'train' ? 'circle-filled' : 'circle-outline',
          new vscode.ThemeColor(node.mode === 'train' ? 'dropoutLens.trainMode' : 'dropoutLens.evalMode'),
        )
      : new vscode.ThemeIcon(dropout ? 'circle-slash' : 'layers');
    item.accessibilityInformation = {
      label: `Layer ${node.index}, ${layerTitle(node.spec)}${dropout ? `, ${dropout}` : ''}${node.mode ? `, ${node.mode} mode` : ''}`,
    };
    if (node.live && node.mode) {
      const next = node.mode === 'train' ? 'eval' : 'train';
      item.tooltip = `Layer ${node.index} is in ${node.mode} mode. Click to switch it to ${next} mode.`;
      item.command = {
        command: 'dropoutLens.toggleLayerMode',
        title: `Switch to ${next} mode`,
        arguments: [node.index],
      };
    }
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}
