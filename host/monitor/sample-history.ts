import type { HardwareSample } from '../../shared/hardware-sample.js';
import { type HardwareMonitor } from './hardware-monitor.js';

/**
 * The monitor as the API serves it: a ring of recent samples for windows that open later, and
 * batches of new ones flushed a few times a second instead of one message per sample.
 */
export class SampleHistory {
  private readonly ring: (HardwareSample | undefined)[];
  private next = 0;
  private pending: HardwareSample[] = [];
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    monitor: HardwareMonitor,
    private readonly onBatch: (samples: HardwareSample[]) => void,
    capacity = 1200,
    private readonly flushEveryMs = 500,
  ) {
    this.ring = new Array(capacity);
    monitor.onSample((s) => this.add(s));
  }

  recent(): HardwareSample[] {
    const n = this.ring.length;
    const out: HardwareSample[] = [];
    for (let i = 0; i < n; i++) {
      const s = this.ring[(this.next + i) % n];
      if (s) out.push(s);
    }
    return out;
  }

  latest(): HardwareSample | null {
    return this.ring[(this.next + this.ring.length - 1) % this.ring.length] ?? null;
  }

  private add(sample: HardwareSample): void {
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.ring.length;
    this.pending.push(sample);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const batch = this.pending;
      this.pending = [];
      this.onBatch(batch);
    }, this.flushEveryMs);
    this.flushTimer.unref();
  }
}
