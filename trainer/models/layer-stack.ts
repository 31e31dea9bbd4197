import * as tf from '@tensorflow/tfjs-core';
import type { LayerRange, Model, ModelLayer, ParameterHook } from './model.js';
import { ParameterSet } from './parameters.js';

export interface ParameterSpec {
  name: string;
  shape: number[];
  fanIn: number;
}

/** A layer's forward pass, given its parameters as the pass uses them. */
type Forward = (x: tf.Tensor, params: readonly tf.Tensor[]) => tf.Tensor;

/**
 * Builds a model layer by layer, holding the parameters of `hold` only (all layers by default):
 * a pipeline stage builds the same architecture but allocates just its own layers (an empty
 * range describes the layers and allocates nothing), and each parameter's seed is its place in the architecture, so a stage's weights start as the same
 * weights of the whole model do.
 */
export class LayerStack {
  private readonly params: ParameterSet;
  private readonly layers: ModelLayer[] = [];
  private readonly forwards: { forward: Forward; first: number; count: number }[] = [];
  private readonly paramIndex: number[] = [];
  private paramCount = 0;

  constructor(
    seed: number,
    private readonly hold?: LayerRange,
  ) {
    this.params = new ParameterSet(seed);
  }

  /** The next layer: its description, its parameters, and its forward pass (run only where the layer is held). */
  add(layer: ModelLayer, specs: readonly ParameterSpec[], forward: Forward): void {
    const index = this.layers.length;
    this.layers.push(layer);
    const held = !this.hold || (index >= this.hold.from && index < this.hold.to);
    const first = this.params.variables.length;
    for (const spec of specs) {
      const at = this.paramCount++;
      if (!held) {
        this.params.skip();
        continue;
      }
      this.paramIndex.push(at);
      this.params.fanInUniform(spec.name, spec.shape, spec.fanIn);
    }
    if (held) this.forwards.push({ forward, first, count: specs.length });
  }

  build(): Model {
    const held = this.hold ?? { from: 0, to: this.layers.length };
    if (held.from < 0 || held.to > this.layers.length || held.from > held.to) {
      throw new RangeError(`layers ${held.from}–${held.to} are not a range of this model's ${this.layers.length} layers`);
    }
    const { forwards } = this;
    const variables = this.params.variables;
    const forward = (x: tf.Tensor, hook?: ParameterHook): tf.Tensor =>
      forwards.reduce((h, layer) => {
        const params = variables.slice(layer.first, layer.first + layer.count);
        return layer.forward(h, hook ? params.map((v, i) => hook(v, layer.first + i)) : params);
      }, x);
    return {
      names: this.params.names,
      variables: this.params.variables,
      layers: this.layers,
      held,
      paramIndex: this.paramIndex,
      forward,
      apply: (x) => {
        if (held.from !== 0 || held.to !== this.layers.length) throw new Error('apply needs the whole model; this holds only some of its layers');
        return forward(x) as tf.Tensor2D;
      },
    };
  }
}
