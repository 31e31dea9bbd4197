import { RunConfig } from '../shared/run-config.js';
import { chooseBackend } from '../trainer/backend-chain.js';
import { timeInference } from '../trainer/compression/inference-timing.js';
import { loadDataset } from '../trainer/data/load-dataset.js';
import { createModel } from '../trainer/models/create-model.js';
import { createOptimizer } from '../trainer/optimizers/create-optimizer.js';
import { TrainingControl } from '../trainer/training-control.js';
import { freshPosition, TrainingLoop } from '../trainer/training-loop.js';
import { printReport } from './bench-report.js';

/**
 * Why a compression run times its models side by side: one mlp's inference samples/s over the
 * Fashion-MNIST test split (timeInference, the fastest of 5 passes), timed before and after one
 * epoch of training another copy in the same process, and, as the control, before and after the
 * same time spent only on inference passes. Thread count from HPC_STUDIO_THREADS (the trainer's).
 *
 * `node dist/bench/inference-after-training.js` (and with HPC_STUDIO_THREADS=1)
 */
const config = RunConfig.parse({ dataset: { kind: 'fashion-mnist', dir: '/usr/share/datasets/fashion-mnist' }, model: 'mlp', epochs: 1, batchSize: 64, lr: 0.001, optimizer: 'adam', seed: 3, limit: 20_000 });
const backend = await chooseBackend();
const dataset = await loadDataset(config, () => {});
const model = createModel(config.model, dataset.info, config.seed);
const speed = () => Math.round(timeInference(dataset, [model], () => {})[0]!);

const first = speed();
const idleStarted = performance.now();
const control = [speed(), speed(), speed()];
const controlMs = performance.now() - idleStarted;
const trained = createModel(config.model, dataset.info, config.seed + 1);
const trainingStarted = performance.now();
await new TrainingLoop({
  config,
  dataset,
  model: trained,
  optimizer: createOptimizer(config.optimizer, trained.variables, config.lr),
  control: new TrainingControl(),
  emit: () => {},
  position: freshPosition(config),
  saveCheckpoint: async () => '',
}).run();
const trainingMs = performance.now() - trainingStarted;
const after = [speed(), speed(), speed()];

printReport('mlp inference samples/s before and after one epoch of training in the same process', {
  backend: backend.name,
  detail: backend.detail,
  threads: process.env.HPC_STUDIO_THREADS ?? 'the default',
  before: { first, afterInferenceOnly: control, inferenceOnlyMs: Math.round(controlMs) },
  afterTraining: { samplesPerSec: after, trainingMs: Math.round(trainingMs), examples: dataset.train.count },
  ratio: +(Math.min(...after) / Math.max(...control)).toFixed(2),
  baseline: 'the same model timed before training, after inference passes only',
});
