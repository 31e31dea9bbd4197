import * as tf from '@tensorflow/tfjs-core';
import { formatBytes } from '../shared/run-labels.js';
import { LeakWatch } from './leak-watch.js';
import type { EmitEvent } from './training-loop.js';

/**
 * Reads TensorFlow.js's tensor count after every step (a counter read, free), feeds the leak
 * watch, and reports a `memory` event at most every `everyMs` (and at the first and last step),
 * so the log grows by a few records a minute however fast the steps come. The step before each
 * report runs under `tf.profile`, whose per-kernel byte snapshots catch the peak inside the
 * backward pass (saved activations plus gradients), which no reading between steps can see.
 */
export class TensorMemoryReport {
  private readonly watch = new LeakWatch();
  private peakStepBytes = 0;
  private lastSentAt = -Infinity;

  constructor(
    private readonly emit: EmitEvent,
    private readonly now: () => number,
    private readonly everyMs = 1000,
  ) {}

  /** Runs one training step, profiled when a report is due. */
  async step<T>(run: () => T): Promise<T> {
    if (this.now() - this.lastSentAt < this.everyMs) return run();
    let result: T;
    const profile = await tf.profile(() => {
      result = run();
    });
    this.peakStepBytes = Math.max(this.peakStepBytes, profile.peakBytes);
    return result!;
  }

  afterStep(step: number, last: boolean): void {
    const { numTensors, numBytes } = tf.memory();
    const time = this.now();
    const leak = this.watch.observe({ step, numTensors, numBytes });
    if (leak || last || time - this.lastSentAt >= this.everyMs) {
      this.emit({ type: 'memory', time, step, numTensors, numBytes, peakStepBytes: Math.max(this.peakStepBytes, numBytes) });
      this.lastSentAt = time;
    }
    if (!leak) return;
    const span = leak.toStep - leak.fromStep;
    this.emit({
      type: 'hint',
      time,
      step,
      kind: 'tensor-leak',
      message: 'tensors are leaking: the live tensor count grows every step, so memory will run out',
      evidence: `+${leak.tensorsPerStep.toFixed(2)} tensors/step (+${formatBytes(leak.bytesPerStep)}/step) over steps ${leak.fromStep}–${leak.toStep} (${span} steps); now ${numTensors} tensors, ${formatBytes(numBytes)}`,
    });
  }
}
