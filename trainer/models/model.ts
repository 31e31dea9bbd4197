import type * as tf from '@tensorflow/tfjs-core';

/** A trainable network: named parameters and a forward pass from flat rows. */
export interface Model {
  /** Parameter names, in the order of `variables`; checkpoints key tensors by them. */
  readonly names: readonly string[];
  readonly variables: readonly tf.Variable[];
  /** `x` is `[batch, features]`; returns logits `[batch, classes]` or predictions `[batch, 1]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
}
