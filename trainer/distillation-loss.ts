import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropy } from './kernels/softmax-cross-entropy.js';

export interface DistillationLoss {
  /** alpha · hardLoss + (1 − alpha) · softLoss: what the student is trained on. */
  loss: tf.Scalar;
  /** Mean cross-entropy of the student's logits against the labels. */
  hardLoss: tf.Scalar;
  /** T² · mean KL(softmax(teacher/T) ‖ softmax(student/T)). */
  softLoss: tf.Scalar;
  /** Rows whose largest student logit is their label. */
  hits: tf.Scalar;
}

/**
 * Knowledge distillation's loss (Hinton et al. 2015). The soft part is scaled by T² so its
 * gradient, (softmax(student/T) − softmax(teacher/T)) · T / rows, keeps the hard part's size as
 * T changes. The teacher's logits are taken as constants. Built from ops
 * every backend differentiates (the hard part through the fused kernel where there is one).
 */
export function distillationLoss(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  labels: tf.Tensor1D,
  temperature: number,
  alpha: number,
): DistillationLoss {
  const { loss: hardLoss, hits } = softmaxCrossEntropy(student, labels);
  const logTeacher = tf.logSoftmax(tf.div(teacher, temperature));
  const logStudent = tf.logSoftmax(tf.div(student, temperature));
  const kl = tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logStudent)), 1);
  const softLoss = tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  const loss = tf.add(tf.mul(hardLoss, alpha), tf.mul(softLoss, 1 - alpha)) as tf.Scalar;
  return { loss, hardLoss, softLoss, hits };
}
