/**
 * Runs an async task every `periodMs`; a run still going when the next is due skips that beat
 * instead of piling up. Unless `keepAlive`, its timer does not keep the process alive on its own.
 */
export class RepeatingTask {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly task: () => Promise<void>,
    private periodMs: number,
    private readonly keepAlive = false,
  ) {}

  /** Runs the task once now, then every period. */
  async start(): Promise<void> {
    await this.runOnce();
    this.schedule();
  }

  setPeriod(periodMs: number): void {
    this.periodMs = periodMs;
    if (!this.timer) return;
    clearInterval(this.timer);
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async runOnce(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.task();
    } finally {
      this.busy = false;
    }
  }

  private schedule(): void {
    this.timer = setInterval(() => void this.runOnce(), this.periodMs);
    if (!this.keepAlive) this.timer.unref();
  }
}
