import * as tf from '@tensorflow/tfjs-core';
import { MISCLASSIFIED_LIMIT, REGRESSION_POINTS_LIMIT, type Evaluation, type Misclassified } from '../shared/evaluation.js';
import type { Dataset } from './data/dataset.js';
import { accuracyOf, classMetrics, confusionMatrix, evenlySpaced, residualStats } from './evaluation-metrics.js';
import { exampleImage } from './example-image.js';
import type { Model } from './models/model.js';

const BATCH = 1000;

/** The model's outputs on the test split, in batches: per row, the argmax class and its softmax probability, or the prediction. */
export function predictTestSet(dataset: Dataset, model: Pick<Model, 'apply'>, onProgress: (done: number, total: number) => void): { predicted: Float32Array; confidence: Float32Array } {
  const test = dataset.test;
  const fs = dataset.featureSize;
  const classification = dataset.info.task === 'classification';
  const predicted = new Float32Array(test.count);
  const confidence = new Float32Array(test.count);
  for (let offset = 0; offset < test.count; offset += BATCH) {
    const size = Math.min(BATCH, test.count - offset);
    const [labels, probs] = tf.tidy(() => {
      const out = model.apply(tf.tensor2d(test.x.subarray(offset * fs, (offset + size) * fs), [size, fs]));
      if (!classification) return [out.reshape([size]).dataSync(), new Float32Array(size)];
      const p = tf.softmax(out);
      return [tf.argMax(p, 1).dataSync(), tf.max(p, 1).dataSync()];
    });
    predicted.set(labels!, offset);
    confidence.set(probs!, offset);
    onProgress(offset + size, test.count);
  }
  return { predicted, confidence };
}

/** Confusion matrix and per-class figures with misclassified examples, or predicted-vs-actual and residuals. */
export function evaluateTestSet(dataset: Dataset, model: Model, target: string, onProgress: (done: number, total: number) => void): Evaluation {
  const { predicted, confidence } = predictTestSet(dataset, model, onProgress);
  const test = dataset.test;
  if (dataset.info.task === 'regression') {
    const s = dataset.standardisation!;
    const actual = Float64Array.from(test.y, (y) => y * s.targetStd + s.targetMean);
    const predictions = Float64Array.from(predicted, (y) => y * s.targetStd + s.targetMean);
    return {
      task: 'regression',
      testSize: test.count,
      target,
      points: evenlySpaced(test.count, REGRESSION_POINTS_LIMIT).map((i) => [actual[i]!, predictions[i]!]),
      ...residualStats(actual, predictions),
    };
  }
  const classes = dataset.info.classes!;
  const classNames = dataset.info.classNames ?? Array.from({ length: classes }, (_, c) => `class ${c}`);
  const confusion = confusionMatrix(test.y, predicted, classes);
  const perClass = classMetrics(confusion, classNames);
  const misclassified: Misclassified[] = [];
  let misclassifiedTotal = 0;
  for (let i = 0; i < test.count; i++) {
    if (predicted[i] === test.y[i]) continue;
    misclassifiedTotal++;
    if (misclassified.length >= MISCLASSIFIED_LIMIT) continue;
    const image = exampleImage(test.x.subarray(i * dataset.featureSize, (i + 1) * dataset.featureSize), dataset.info.inputShape, dataset.pixelStandardisation);
    misclassified.push({ index: i, trueClass: test.y[i]!, predictedClass: predicted[i]!, confidence: confidence[i]!, ...(image ? { image } : {}) });
  }
  return {
    task: 'classification',
    testSize: test.count,
    classNames,
    confusion,
    perClass,
    accuracy: accuracyOf(confusion),
    macroF1: perClass.reduce((a, c) => a + c.f1, 0) / Math.max(1, perClass.length),
    misclassifiedTotal,
    misclassified,
  };
}
