import * as tf from '@tensorflow/tfjs-core';

/** Optimizer state as checkpoints store it: per-parameter slot tensors plus the update count. */
export interface OptimizerState {
  updates: number;
  slots: Record<string, Float32Array[]>;
}

/**
 * Updates parameters from their gradients. The learning rate is a plain field so a live change
 * applies at the next step; the state is plain arrays so checkpoints can hold it.
 */
export abstract class Optimizer {
  updates = 0;
  /** Runs after every update: a constraint on the parameters (pruning masks hold pruned weights at exactly 0). */
  afterUpdate: (() => void) | null = null;
  protected readonly slots: Record<string, tf.Variable[]> = {};

  constructor(
    protected readonly params: readonly tf.Variable[],
    public lr: number,
    slotNames: readonly string[],
  ) {
    for (const name of slotNames) this.slots[name] = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** `grads[i]` is the gradient of `params[i]`. */
  apply(grads: readonly tf.Tensor[]): void {
    this.updates++;
    // One tidy per parameter: an update's temporaries (a dozen per parameter for Adam) are freed
    // before the next, instead of all parameters' at once at the peak of the step.
    grads.forEach((g, i) => tf.tidy(() => this.update(i, g)));
    this.afterUpdate?.();
  }

  protected abstract update(index: number, grad: tf.Tensor): void;

  async state(): Promise<OptimizerState> {
    const slots: Record<string, Float32Array[]> = {};
    for (const [name, vars] of Object.entries(this.slots)) slots[name] = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
    return { updates: this.updates, slots };
  }

  restore(state: OptimizerState): void {
    this.updates = state.updates;
    for (const [name, vars] of Object.entries(this.slots)) {
      const saved = state.slots[name];
      if (!saved || saved.length !== vars.length) throw new Error(`checkpoint lacks optimizer slot ${name}`);
      vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(saved[i]!, v.shape))));
    }
  }

  dispose(): void {
    for (const vars of Object.values(this.slots)) for (const v of vars) v.dispose();
  }
}
