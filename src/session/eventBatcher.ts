/**
 * Engine events on their way to a webview, sent in batches: a tiny model finishes hundreds of epochs a second,
 * and one webview message per event would keep the extension host busy serialising. Order is kept; of the
 * events that only picture "now" (the latest step, histograms, decision boundary, each dropout2d layer's feature
 * maps) only the newest survives, so feature maps reach a view at most once a batch (20 a second) per layer.
 */
import type { EngineEvent } from '../protocol/engine';

const LATEST_ONLY: ReadonlySet<EngineEvent['type']> = new Set(['step', 'activations', 'boundary', 'featureMaps']);

/** Which picture of "now" an event is: one per type, and one per layer for feature maps. */
const sameTopic = (a: EngineEvent, b: EngineEvent) =>
  a.type === b.type && (a.type !== 'featureMaps' || (b.type === 'featureMaps' && a.layer === b.layer));
/** What a user did or must see at once: these flush the batch immediately. */
const URGENT: ReadonlySet<EngineEvent['type']> = new Set([
  'ready',
  'modes',
  'rate',
  'paused',
  'resumed',
  'error',
  'done',
]);

/** A view draws no weights: a W2-sized model's final weights are megabytes that would be serialised for nothing. */
function withoutWeights(event: EngineEvent): EngineEvent {
  if (event.type !== 'done' || !event.weights) return event;
  const { weights: _weights, ...rest } = event;
  return rest;
}

export class EngineEventBatcher {
  private queue: EngineEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (events: EngineEvent[]) => void,
    private readonly intervalMs = 50,
  ) {}

  push(raw: EngineEvent): void {
    const event = withoutWeights(raw);
    if (LATEST_ONLY.has(event.type)) {
      const older = this.queue.findIndex((e) => sameTopic(e, event));
      if (older >= 0) this.queue.splice(older, 1);
    }
    this.queue.push(event);
    if (URGENT.has(event.type)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.send(events);
  }

  /** Drops what is queued (a new session, or the panel closed). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }
}
