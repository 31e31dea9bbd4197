import { stderrBar } from './stderr-bar.js';

/**
 * Progress of a file being packed or unpacked, on stderr: a live bar on a terminal; elsewhere
 * (pipes, CI logs) a plain line at the start, every few seconds, and at the end.
 */
export class ByteProgress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly bar = stderrBar('{label} |{bar}| {percentage}% | {detail}');
  private started = false;
  private lastLineAt = 0;
  private lastPercent = -1;

  constructor(
    private readonly label: string,
    private readonly now: () => number = Date.now,
    private readonly lineEveryMs = 2000,
  ) {}

  update(done: number, total: number): void {
    const detail = `${mb(done)}/${mb(total)} MB`;
    if (this.tty) {
      if (!this.started) this.bar.start(Math.max(total, 1), done, { label: this.label, detail });
      else this.bar.update(done, { detail });
      this.started = true;
      return;
    }
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    const due = !this.started || (percent === 100 && this.lastPercent !== 100) || this.now() - this.lastLineAt >= this.lineEveryMs;
    this.started = true;
    if (!due || percent === this.lastPercent) return;
    this.lastLineAt = this.now();
    this.lastPercent = percent;
    process.stderr.write(`${this.label} ${percent}% | ${detail}\n`);
  }

  stop(): void {
    if (this.tty && this.started) this.bar.stop();
    this.started = false;
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
