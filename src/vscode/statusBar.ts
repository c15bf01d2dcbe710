/** A status-bar item while a run is active: progress and mode; a click opens the run panel. */
import * as vscode from 'vscode';
import type { RunController } from './runController';

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('dropoutLens.training', vscode.StatusBarAlignment.Left, 10);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly controller: RunController) {
    this.item.name = 'Dropout Lens Training';
    this.item.command = 'dropoutLens.openPanel';
    this.disposables.push(controller.onDidChange(() => this.update()));
    // Progress is polled twice a second rather than pushed per step: the bar needs no more.
    this.timer = setInterval(() => this.update(), 500);
  }

  update(): void {
    const session = this.controller.session;
    if (!session || !session.isActive) {
      this.item.hide();
      return;
    }
    const modes = new Set(session.layers.map((l) => l.mode));
    const mode = modes.size > 1 ? 'mixed modes' : modes.has('eval') ? 'eval mode' : 'train mode';
    const icon = session.status === 'paused' ? '$(debug-pause)' : '$(sync~spin)';
    this.item.text = `${icon} ${session.spec.name}: epoch ${session.epoch}/${session.spec.training.epochs}, ${mode}`;
    this.item.tooltip = `Dropout Lens: ${session.status}, step ${session.step}, ${session.stepsPerSecond.toFixed(0)} steps/s. Click to open the run panel.`;
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
