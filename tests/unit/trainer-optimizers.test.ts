import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { ADAM } from '../../trainer/optimizers/adam.js';
import { createOptimizer } from '../../trainer/optimizers/create-optimizer.js';

const G1 = [0.5, -1];
const G2 = [-1, 0.25];

/** Applies the gradients G1 then G2 (lr 0.1 then `lr2`) to w = [1, 2]; returns w after each step. */
function twoSteps(kind: 'sgd' | 'momentum' | 'adam', lr2 = 0.1): number[][] {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const optimizer = createOptimizer(kind, [w], 0.1);
  const after: number[][] = [];
  for (const [g, lr] of [[G1, 0.1], [G2, lr2]] as const) {
    optimizer.lr = lr;
    tf.tidy(() => optimizer.apply([tf.tensor1d(g)]));
    after.push([...w.dataSync()]);
  }
  optimizer.dispose();
  w.dispose();
  return after;
}

function expectClose(actual: number[][], expected: number[][]) {
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 6)));
}

describe('optimizers, against steps worked by hand', () => {
  beforeAll(async () => {
    await chooseBackend('cpu');
  });

  it('sgd: w ← w − lr·g', () => {
    expectClose(twoSteps('sgd'), [[0.95, 2.1], [1.05, 2.075]]);
  });

  it('momentum: v ← 0.9·v + g; w ← w − lr·v', () => {
    // v1 = G1; v2 = 0.9·G1 + G2 = [−0.55, −0.65]
    expectClose(twoSteps('momentum'), [[0.95, 2.1], [1.005, 2.165]]);
  });

  it('adam: bias-corrected moments, ε = 1e-8 outside the square root', () => {
    const { beta1, beta2, epsilon } = ADAM;
    expect(ADAM).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    let w = [1, 2];
    const m = [0, 0];
    const v = [0, 0];
    const expected = [G1, G2].map((g, t) => {
      w = w.map((wi, i) => {
        m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
        v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! ** 2;
        const mHat = m[i]! / (1 - beta1 ** (t + 1));
        const vHat = v[i]! / (1 - beta2 ** (t + 1));
        return wi - (0.1 * mHat) / (Math.sqrt(vHat) + epsilon);
      });
      return w;
    });
    // The first step moves each weight by lr against its gradient's sign.
    expectClose(twoSteps('adam'), expected);
    expect(expected[0]).toEqual([expect.closeTo(0.9, 6), expect.closeTo(2.1, 6)]);
  });

  it('use a changed learning rate at the next step', () => {
    expectClose(twoSteps('sgd', 0.01), [[0.95, 2.1], [0.96, 2.0975]]);
  });

  it('continue identically from a saved state', async () => {
    const run = async (split: boolean) => {
      const w = tf.variable(tf.tensor1d([1, 2]));
      let optimizer = createOptimizer('adam', [w], 0.1);
      tf.tidy(() => optimizer.apply([tf.tensor1d(G1)]));
      if (split) {
        const state = await optimizer.state();
        optimizer.dispose();
        optimizer = createOptimizer('adam', [w], 0.1);
        optimizer.restore(state);
      }
      tf.tidy(() => optimizer.apply([tf.tensor1d(G2)]));
      const out = [...w.dataSync()];
      optimizer.dispose();
      w.dispose();
      return out;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('keep the tensor count flat across steps', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const optimizer = createOptimizer('adam', [w], 0.1);
    tf.tidy(() => optimizer.apply([tf.tensor1d(G1)]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.tidy(() => optimizer.apply([tf.tensor1d(G2)]));
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    w.dispose();
  });
});
