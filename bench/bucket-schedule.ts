import { planBuckets } from '../trainer/distributed/gradient-buckets.js';
import type { Model } from '../trainer/models/model.js';

/** One bucket of a simulated step's exchange: its length, and when in the step's compute it is full (0–1). */
export interface SimulatedBucket {
  length: number;
  readyAt: number;
}

/** The backward pass costs about twice the forward (a gradient for the input and one for the weights). */
const FORWARD_SHARE = 1 / 3;

/**
 * When a real step of `model` fills each of its gradient buckets, as the trainer lays them out
 * (gradient-buckets.ts): the forward pass first, then the backward from the last layer to the
 * first, each layer taking its share of the multiply-adds; a bucket is full once its earliest
 * layer's backward is done. The last bucket (with the loss) goes when the compute ends.
 */
export function bucketSchedule(model: Model): SimulatedBucket[] {
  const { buckets } = planBuckets(model.variables.map((v) => v.size));
  const layerOf = model.names.map((name) => model.layers.findIndex((layer) => name.startsWith(`${layer.name}/`)));
  const total = model.layers.reduce((sum, layer) => sum + layer.forwardMacs, 0);
  // Backward work done once layer l's gradients are: every layer from the last down to l.
  const doneAfter = model.layers.map((_, l) => model.layers.slice(l).reduce((sum, layer) => sum + layer.forwardMacs, 0) / total);
  return buckets.map((bucket, i) => ({
    length: bucket.end - bucket.start,
    readyAt: i === buckets.length - 1 ? 1 : FORWARD_SHARE + (1 - FORWARD_SHARE) * Math.max(...bucket.params.map((p) => doneAfter[layerOf[p]!]!)),
  }));
}
