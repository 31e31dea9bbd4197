import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../trainer/backend-chain.js';
import { distillationLoss } from '../../trainer/distillation-loss.js';

/**
 * Two rows, three classes, T = 2, alpha = 0.25, worked by hand:
 *
 * row 1: student [1, 0, −1], teacher [2, 0, 0], label 0
 *   softmax(student)   = [0.665241, 0.244728, 0.090031]  → CE = −ln 0.665241 = 0.407606
 *   softmax(student/2) = [0.506480, 0.307196, 0.186324]
 *   softmax(teacher/2) = [0.576117, 0.211942, 0.211942]
 *   KL = Σ pt · ln(pt / ps) = 0.576117·ln(1.137492) + 0.211942·ln(0.689925) + 0.211942·ln(1.137492) = 0.022854
 * row 2: student [0.5, 2, 0], teacher [0, 1, 3], label 2
 *   softmax(student)   = [0.164252, 0.736125, 0.099624]  → CE = −ln 0.099624 = 2.306356
 *   softmax(student/2) = [0.256687, 0.543406, 0.199908]
 *   softmax(teacher/2) = [0.140244, 0.231224, 0.628532]
 *   KL = 0.437655
 *
 * hard = (0.407606 + 2.306356) / 2 = 1.356981
 * soft = T² · (0.022854 + 0.437655) / 2 = 4 · 0.230255 = 0.921018
 * loss = 0.25 · 1.356981 + 0.75 · 0.921018 = 0.339245 + 0.690764 = 1.030009
 *
 * d loss / d student = (alpha · (softmax(student) − onehot) + (1 − alpha) · T · (softmax(student/T) − softmax(teacher/T))) / rows
 */
const STUDENT = [[1, 0, -1], [0.5, 2, 0]];
const TEACHER = [[2, 0, 0], [0, 1, 3]];
const LABELS = [0, 2];
const T = 2;
const ALPHA = 0.25;
const HAND = { hardLoss: 1.356981, softLoss: 0.921018, loss: 1.030009, hits: 1 };
const HAND_GRADIENT = [
  [-0.094072, 0.102032, -0.00796],
  [0.107863, 0.326152, -0.434015],
];

function losses(student: number[][], alpha = ALPHA, temperature = T) {
  return tf.tidy(() => {
    const d = distillationLoss(tf.tensor2d(student), tf.tensor2d(TEACHER), tf.tensor1d(LABELS, 'int32'), temperature, alpha);
    return { loss: d.loss.dataSync()[0]!, hardLoss: d.hardLoss.dataSync()[0]!, softLoss: d.softLoss.dataSync()[0]!, hits: d.hits.dataSync()[0]! };
  });
}

describe.each(['cpu', 'wasm', 'hpc-native'])('the distillation loss on the %s backend', (backend) => {
  it('equals the hand-computed value on a tiny case', async () => {
    await chooseBackend(backend);
    const got = losses(STUDENT);
    expect(got.hardLoss).toBeCloseTo(HAND.hardLoss, 5);
    expect(got.softLoss).toBeCloseTo(HAND.softLoss, 5);
    expect(got.loss).toBeCloseTo(HAND.loss, 5);
    expect(got.hits).toBe(HAND.hits);
  });

  it('is plain cross-entropy at alpha = 1, and the soft part alone at alpha = 0', async () => {
    await chooseBackend(backend);
    const ce = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(LABELS, 'int32'), 3), tf.tensor2d(STUDENT)).dataSync()[0]!);
    expect(losses(STUDENT, 1).loss).toBeCloseTo(ce, 6);
    expect(losses(STUDENT, 0).loss).toBeCloseTo(HAND.softLoss, 5);
  });

  it('has the gradient worked by hand, which a finite difference confirms', async () => {
    await chooseBackend(backend);
    const gradient = tf.tidy(() => {
      const teacher = tf.tensor2d(TEACHER);
      const labels = tf.tensor1d(LABELS, 'int32');
      const g = tf.grad((s: tf.Tensor) => distillationLoss(s as tf.Tensor2D, teacher, labels, T, ALPHA).loss)(tf.tensor2d(STUDENT));
      return g.arraySync() as number[][];
    });
    const h = 1e-2;
    gradient.forEach((row, i) =>
      row.forEach((g, j) => {
        expect(g).toBeCloseTo(HAND_GRADIENT[i]![j]!, 5);
        const plus = STUDENT.map((r, a) => r.map((v, b) => (a === i && b === j ? v + h : v)));
        const minus = STUDENT.map((r, a) => r.map((v, b) => (a === i && b === j ? v - h : v)));
        expect(g).toBeCloseTo((losses(plus).loss - losses(minus).loss) / (2 * h), 3);
      }),
    );
  });
});
