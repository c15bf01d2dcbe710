/**
 * The timeline of a finished run: a slider over its steps. Moving it (mouse, or arrow keys, Page Up/Down, Home and
 * End) names the step at once and asks the host for it once the slider rests; the host replays the step from the
 * run's seed and the panel draws its masks and activations in the usual views. The first seek starts the replay:
 * while it retrains towards the step the note says it is preparing and how far it is, and the slider still moves
 * (the replay goes on to wherever it rests).
 */
import type { TimelineState } from '../../src/protocol/webview';

/** The slider must rest this long before a seek is sent: dragging across a thousand steps sends one, not a thousand. */
export const SEEK_DEBOUNCE_MS = 120;

export class Timeline {
  readonly element: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly note: HTMLElement;
  private state: TimelineState = { status: 'checking', steps: 0, stepsPerEpoch: 0 };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onSeek: (step: number) => void) {
    const make = (tag: string, className: string, id?: string) => {
      const node = document.createElement(tag);
      node.className = className;
      if (id) node.id = id;
      return node;
    };
    this.element = make('section', 'timeline', 'timeline');
    this.element.hidden = true;
    const heading = make('h2', 'timeline-heading', 'timeline-heading');
    heading.textContent = 'Timeline: the finished run, replayed from its seed';
    this.slider = document.createElement('input');
    Object.assign(this.slider, { type: 'range', id: 'timeline-step', min: '1', max: '1', step: '1', disabled: true });
    this.slider.setAttribute('aria-labelledby', 'timeline-heading');
    this.label = make('span', 'timeline-label', 'timeline-label');
    this.note = make('span', 'timeline-note', 'timeline-note');
    this.note.setAttribute('role', 'status');
    this.note.setAttribute('aria-live', 'polite');
    const row = make('div', 'timeline-row');
    row.append(this.slider, this.label);
    this.element.append(heading, row, this.note);
    this.slider.addEventListener('input', () => this.moved());
  }

  update(state: TimelineState): void {
    this.state = state;
    this.element.hidden = false;
    const usable = state.status === 'ready' || state.status === 'preparing' || state.status === 'replaying';
    this.slider.disabled = !usable;
    this.slider.max = String(Math.max(1, state.steps));
    // While the user moves the slider, the host's echo of an older step must not pull it back.
    if (state.step !== undefined && this.timer === undefined && document.activeElement !== this.slider)
      this.slider.value = String(state.step);
    this.element.classList.toggle('timeline-unavailable', state.status === 'unavailable');
    this.element.setAttribute('aria-busy', String(state.status === 'preparing' || state.status === 'replaying'));
    this.note.textContent = noteOf(state);
    this.describe(Number(this.slider.value));
  }

  /** The step drawn: the slider and its label follow a frame that arrived. */
  shown(step: number, epoch: number): void {
    if (this.timer !== undefined) return; // the user has moved on: the label names where the slider is
    if (document.activeElement !== this.slider) this.slider.value = String(step);
    this.describe(step, epoch);
  }

  private moved(): void {
    const step = Number(this.slider.value);
    this.describe(step);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onSeek(step);
    }, SEEK_DEBOUNCE_MS);
  }

  private describe(step: number, epoch?: number): void {
    const { steps, stepsPerEpoch } = this.state;
    if (steps === 0) {
      this.label.textContent = '';
      return;
    }
    const e = epoch ?? (stepsPerEpoch > 0 ? Math.floor(step / stepsPerEpoch) : undefined);
    const text = `step ${step} of ${steps}${e !== undefined ? ` · epoch ${e}` : ''}`;
    this.label.textContent = text;
    this.slider.setAttribute('aria-valuetext', text);
  }
}

/** What the replay is doing, in words. */
function noteOf(state: TimelineState): string {
  const p = state.progress;
  const far = p ? `: step ${p.step} of ${p.target}` : '';
  switch (state.status) {
    case 'checking':
      return 'checking the run…';
    case 'preparing':
      return `preparing the replay, retraining from the seed${far}…`;
    case 'replaying':
      return 'replaying…';
    case 'unavailable':
      return state.message ?? 'This run cannot be replayed.';
    case 'ready':
      if (state.verified) return 'Replays bit for bit: the replay ends on the recorded final weights.';
      if (p) return `preparing the later steps, so scrubbing is fast${far}`;
      return '';
  }
}
