import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo } from '../../shared/trainer-protocol.js';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { GradientBuckets } from '../../trainer/distributed/gradient-buckets.js';
import type { PeerGroup } from '../../trainer/distributed/peer-group.js';
import { createModel } from '../../trainer/models/create-model.js';

const FASHION_MNIST: DatasetInfo = { task: 'classification', trainSize: 1, validationSize: 0, testSize: 0, inputShape: [28, 28, 1], classes: 10 };

/** One peer on its own: what it is asked to sum, and whether the backward pass was still running then. */
function recordingPeer(backwardDone: () => boolean) {
  const calls: { length: number; duringBackward: boolean }[] = [];
  const group: PeerGroup = {
    rank: 0,
    worldSize: 1,
    allReduceSum: async (data) => void calls.push({ length: data.length, duringBackward: !backwardDone() }),
    close: async () => {},
  };
  return { group, calls };
}

describe('gradient buckets', () => {
  beforeAll(async () => {
    await chooseBackend('cpu');
  });

  it('sends the last layers\' bucket while the backward pass still runs, and sums to the plain gradient times the shard\'s weight', async () => {
    const model = createModel('cnn', FASHION_MNIST, 3);
    const params = model.variables as tf.Variable[];
    let done = false;
    const { group, calls } = recordingPeer(() => done);
    const buckets = new GradientBuckets(params, group);
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 1) as tf.Tensor2D;
    const loss = (hook?: Parameters<typeof model.forward>[1]) => () => tf.mean(tf.square(model.forward(x, hook))) as tf.Scalar;

    buckets.begin(0.25);
    tf.tidy(() => void tf.variableGrads(loss(buckets.hook), params));
    done = true;
    await buckets.finish(1.5, 3, null);

    // cnn: dense2 + dense1 (206,218 values) make the first bucket; conv2, conv1 and the loss tail the last.
    expect(calls.map((c) => c.length)).toEqual([1290 + 204_928, 18_496 + 320 + 8]);
    expect(calls.map((c) => c.duringBackward)).toEqual([true, false]);
    const plain = tf.variableGrads(loss(), params).grads;
    buckets.gradients().forEach((g, i) => {
      const expected = plain[params[i]!.name]!.mul(0.25).dataSync();
      const values = g.dataSync() as Float32Array;
      expect(values.reduce((worst, v, j) => Math.max(worst, Math.abs(v - expected[j]!)), 0)).toBeLessThan(1e-7);
    });
    expect(buckets.agreement).toMatchObject({ loss: 1.5, hits: 3 });
  });

  it('lets a peer with no samples take part with zeros, carrying the leader\'s decision', async () => {
    const model = createModel('mlp', FASHION_MNIST, 3);
    const { group, calls } = recordingPeer(() => true);
    const buckets = new GradientBuckets(model.variables as tf.Variable[], group);
    buckets.begin(0);
    await buckets.finishEmpty({ stop: false, pause: true, regroup: false, checkpoint: true, change: { lr: 0.5 } });
    expect(calls.length).toBe(buckets.bucketCount);
    expect(buckets.gradients().every((g) => g.dataSync().every((v) => v === 0))).toBe(true);
    expect(buckets.agreement.decision).toEqual({ stop: false, pause: true, regroup: false, checkpoint: true, change: { lr: 0.5 } });
  });
});
