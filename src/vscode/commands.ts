/** Every command of the product, registered in one place. Each one is thin: it asks, then delegates. */
import * as vscode from 'vscode';
import type { LayerMode } from '../protocol/modelSpec';
import { isDropRate } from '../protocol/validate';
import type { DiagnosticsController } from './diagnostics';
import { dropoutSummary, layerTitle } from './layerLabels';
import { log } from './log';
import { createModelConfig } from './newConfig';
import type { RunController } from './runController';
import { RunPanel } from './runPanel';

export interface CommandContext {
  extensionUri: vscode.Uri;
  controller: RunController;
  diagnostics: DiagnosticsController;
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { controller } = ctx;
  const needsSession = (run: () => void) => () => {
    if (!controller.session?.isActive) {
      void vscode.window.showInformationMessage(
        'No model is training. Run "Dropout Lens: Train Model in Active Config" first.',
      );
      return;
    }
    run();
  };
  const register = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    register('dropoutLens.train', async (uri?: vscode.Uri) => {
      const session = await controller.train(uri instanceof vscode.Uri ? uri : undefined);
      if (session && vscode.workspace.getConfiguration('dropoutLens').get('training.openPanelOnStart', true))
        RunPanel.createOrShow(ctx.extensionUri, controller);
      return session?.runId;
    }),
    register(
      'dropoutLens.pause',
      needsSession(() => controller.pause()),
    ),
    register(
      'dropoutLens.resume',
      needsSession(() => controller.resume()),
    ),
    register(
      'dropoutLens.step',
      needsSession(() => controller.step()),
    ),
    register(
      'dropoutLens.stop',
      needsSession(() => controller.stop()),
    ),
    register('dropoutLens.setModelMode', async (mode?: LayerMode) => {
      if (!controller.session?.isActive) return needsSession(() => {})();
      const picked = mode ?? (await pickMode('the whole model'));
      if (picked) controller.setMode(undefined, picked);
    }),
    register('dropoutLens.toggleLayerMode', async (layer?: number | { index: number }, mode?: LayerMode) => {
      const session = controller.session;
      if (!session?.isActive) return needsSession(() => {})();
      const index =
        typeof layer === 'number' ? layer : (layer?.index ?? (await pickLayer(session.layers, 'Switch which layer?')));
      if (index === undefined) return;
      const info = session.layers.find((l) => l.index === index);
      if (!info) {
        void vscode.window.showErrorMessage(`The model has no layer ${index}.`);
        return;
      }
      controller.setMode(index, mode ?? (info.mode === 'train' ? 'eval' : 'train'));
    }),
    register('dropoutLens.setLayerRate', async (layer?: number | { index: number }, rate?: number) => {
      const session = controller.session;
      if (!session?.isActive) return needsSession(() => {})();
      const droppable = session.layers.filter((l) => l.rate !== undefined);
      const index =
        typeof layer === 'number'
          ? layer
          : (layer?.index ?? (await pickLayer(droppable, 'Change the rate of which layer?')));
      if (index === undefined) return;
      const current = session.layers.find((l) => l.index === index)?.rate;
      const value =
        rate ??
        Number(
          await vscode.window.showInputBox({
            title: `Dropout rate of layer ${index}`,
            value: String(current ?? 0.5),
            prompt: 'The probability of dropping a unit (PyTorch/Keras convention), in [0, 1)',
            validateInput: (text) =>
              isDropRate(Number(text)) && text.trim() !== ''
                ? undefined
                : 'Enter a number in [0, 1): the drop probability, not the keep probability.',
          }),
        );
      if (isDropRate(value)) controller.setRate(index, value);
    }),
    register('dropoutLens.openPanel', () => {
      RunPanel.createOrShow(ctx.extensionUri, controller);
    }),
    register('dropoutLens.newConfig', () => createModelConfig()),
    register('dropoutLens.lintWorkspace', () =>
      vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: 'Dropout Lens: linting the workspace',
          cancellable: true,
        },
        async (_progress, token) => {
          const result = await ctx.diagnostics.lintWorkspace(token);
          const message = `Dropout Lens analysed ${result.files} file(s): ${result.findings} finding(s).`;
          log().info(message);
          if (result.findings > 0) {
            void vscode.window
              .showInformationMessage(message, 'Show Problems')
              .then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
          } else void vscode.window.showInformationMessage(message);
          return result;
        },
      ),
    ),
    register('dropoutLens.showLogs', () => log().show()),
  ];
}

async function pickMode(what: string): Promise<LayerMode | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'train', description: 'dropout active, batch norm uses batch statistics', mode: 'train' as const },
      { label: 'eval', description: 'dropout off, batch norm uses running statistics', mode: 'eval' as const },
    ],
    { title: `Mode of ${what}` },
  );
  return picked?.mode;
}

async function pickLayer(
  layers: readonly { index: number; spec: import('../protocol/modelSpec').LayerSpec; mode: LayerMode; rate?: number }[],
  title: string,
): Promise<number | undefined> {
  const picked = await vscode.window.showQuickPick(
    layers.map((l) => ({
      label: `${l.index}  ${layerTitle(l.spec)}`,
      description: [dropoutSummary(l.spec, l.rate), l.mode].filter(Boolean).join(' · '),
      index: l.index,
    })),
    { title },
  );
  return picked?.index;
}
