import type * as tf from '@tensorflow/tfjs-core';

/** One layer of an architecture, described whether or not this process holds its parameters. */
export interface ModelLayer {
  readonly name: string;
  /** Per-sample shapes in and out: a pipeline stage reshapes the activations it receives to `input`. */
  readonly input: readonly number[];
  readonly output: readonly number[];
  /** Multiply-adds per sample, forward: what a pipeline balances its stages by. */
  readonly forwardMacs: number;
}

/**
 * What a forward pass uses for parameter `index` (of `variables`) instead of the variable itself:
 * a data-parallel step passes each through an identity whose gradient is its hook.
 */
export type ParameterHook = (variable: tf.Variable, index: number) => tf.Tensor;

/** A contiguous run of an architecture's layers, `[from, to)`. */
export interface LayerRange {
  from: number;
  to: number;
}

/** A trainable network, or the part of one a pipeline stage holds: named parameters and a forward pass. */
export interface Model {
  /** Parameter names, in the order of `variables`; checkpoints key tensors by them. */
  readonly names: readonly string[];
  readonly variables: readonly tf.Variable[];
  /** Every layer of the architecture, held here or not. */
  readonly layers: readonly ModelLayer[];
  /** The layers whose parameters this model holds: all of them unless it is a pipeline stage. */
  readonly held: LayerRange;
  /** Each of `variables`' place among the whole architecture's parameters. */
  readonly paramIndex: readonly number[];
  /** The held layers on `[batch, ...layers[held.from].input]`, each parameter through `hook` when given. */
  forward(x: tf.Tensor, hook?: ParameterHook): tf.Tensor;
  /** The whole model (every layer held): `x` is `[batch, features]`; returns logits `[batch, classes]` or predictions `[batch, 1]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
}
