import type { TrainerEventOf, TrainerMessage } from '../shared/trainer-protocol.js';

type StepEvent = TrainerEventOf<'step'>;

/**
 * Holds step events for at most `maxWaitMs`, then sends them as one `steps` message; `flush`
 * sends what waits at once (before any other event, so the parent sees everything in order, and
 * before the trainer exits, so none is lost).
 */
export class StepBatcher {
  private waiting: StepEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (message: TrainerMessage) => void,
    private readonly maxWaitMs: number,
  ) {}

  add(step: StepEvent): void {
    this.waiting.push(step);
    this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length === 0) return;
    const steps = this.waiting;
    this.waiting = [];
    this.send({ type: 'steps', steps });
  }
}
