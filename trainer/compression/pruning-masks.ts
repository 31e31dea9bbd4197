import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/model.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { isPrunable, magnitudeMask } from './magnitude-pruning.js';

/**
 * The pruning masks of a model's prunable parameters (kernels), kept as tensors so fine-tuning can
 * re-apply them after every optimizer update: a pruned weight's gradient (and Adam's or momentum's
 * memory of it) would otherwise move it off zero.
 */
export class PruningMasks {
  private masks: (tf.Tensor | null)[];

  constructor(private readonly model: Model) {
    this.masks = model.variables.map(() => null);
  }

  /**
   * Prunes every prunable parameter to `sparsity` by the magnitude of its current values. Weights
   * already at zero are the smallest, so a rising sparsity (gradual pruning) keeps them pruned.
   */
  prune(sparsity: number): void {
    this.model.variables.forEach((v, i) => {
      if (!isPrunable(this.model.names[i]!, v.shape)) return;
      const mask = magnitudeMask(v.dataSync() as Float32Array, sparsity);
      this.masks[i]?.dispose();
      this.masks[i] = tf.tensor(Float32Array.from(mask), v.shape);
    });
    this.reapply();
  }

  /** Sets every pruned weight back to exactly 0. */
  reapply(): void {
    tf.tidy(() => this.model.variables.forEach((v, i) => this.masks[i] && v.assign(tf.mul(v, this.masks[i]!))));
  }

  /** Makes `optimizer` re-apply the masks after each of its updates. */
  hold(optimizer: Optimizer): void {
    optimizer.afterUpdate = () => this.reapply();
  }

  dispose(): void {
    tf.dispose(this.masks.filter((m): m is tf.Tensor => m !== null));
    this.masks = this.model.variables.map(() => null);
  }
}

/** Zhu & Gupta's cubic schedule: the sparsity to train epoch `epoch` (1…`epochs`) at, reaching `target` at the last. */
export function gradualSparsity(target: number, epoch: number, epochs: number): number {
  return target * (1 - (1 - epoch / epochs) ** 3);
}
