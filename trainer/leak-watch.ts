/** Live tensors after a training step, as `tf.memory()` counts them. */
export interface TensorReading {
  step: number;
  numTensors: number;
  numBytes: number;
}

export interface LeakRule {
  /** Steps ignored at the start of each process (first-step allocations, a restored checkpoint). */
  warmUpSteps: number;
  /** Steps per window; growth is judged window by window. */
  windowSteps: number;
  /** A window grows when its count rises by at least windowSteps × this many tensors. */
  minTensorsPerStep: number;
  /** Consecutive growing windows that make a leak. */
  windows: number;
}

/**
 * A leak of one tensor per step fires after 20 + 3 × 50 = 170 steps; a leak of one per five steps
 * still fires. A steady loop never grows; a one-off allocation (an epoch's checkpoint, validation
 * left live) grows one window and then stays flat, which resets the streak.
 */
export const DEFAULT_LEAK_RULE: LeakRule = { warmUpSteps: 20, windowSteps: 50, minTensorsPerStep: 0.2, windows: 3 };

export interface LeakVerdict {
  fromStep: number;
  toStep: number;
  tensorsPerStep: number;
  bytesPerStep: number;
  numTensors: number;
  numBytes: number;
}

/**
 * Decides that a run leaks tensors: the live count after a step rose by at least
 * `minTensorsPerStep` per step in each of `windows` consecutive windows of `windowSteps` steps,
 * after `warmUpSteps`. Fires once.
 */
export class LeakWatch {
  private first: TensorReading | null = null;
  private windowStart: TensorReading | null = null;
  private streakStart: TensorReading | null = null;
  private streak = 0;
  private fired = false;

  constructor(private readonly rule: LeakRule = DEFAULT_LEAK_RULE) {}

  /** Feeds one reading; returns the verdict the first time the rule holds, else null. */
  observe(reading: TensorReading): LeakVerdict | null {
    if (this.fired) return null;
    this.first ??= reading;
    if (reading.step - this.first.step < this.rule.warmUpSteps) return null;
    if (!this.windowStart) {
      this.windowStart = reading;
      return null;
    }
    const steps = reading.step - this.windowStart.step;
    if (steps < this.rule.windowSteps) return null;
    const grew = reading.numTensors - this.windowStart.numTensors >= steps * this.rule.minTensorsPerStep;
    if (grew) {
      this.streakStart ??= this.windowStart;
      this.streak++;
    } else {
      this.streakStart = null;
      this.streak = 0;
    }
    this.windowStart = reading;
    if (this.streak < this.rule.windows) return null;
    this.fired = true;
    const from = this.streakStart!;
    const span = reading.step - from.step;
    return {
      fromStep: from.step,
      toStep: reading.step,
      tensorsPerStep: (reading.numTensors - from.numTensors) / span,
      bytesPerStep: (reading.numBytes - from.numBytes) / span,
      numTensors: reading.numTensors,
      numBytes: reading.numBytes,
    };
  }
}
