import type { Command } from 'commander';
import { MODEL_SPEC_SYNTAX } from '../../shared/model-spec.js';
import { DEFAULT_FASHION_MNIST_DIR, DEFAULT_IMAGE_SPLIT, LIMITS, OPTIMIZER_KINDS } from '../../shared/run-config.js';
import { EARLY_STOP_SYNTAX, SCHEDULE_SYNTAX } from './schedule-flags.js';

/** What one run is (dataset, model, hyperparameters), as `train` and `cluster submit` take it: read by configFromFlags. */
export function addRunConfigOptions(command: Command): Command {
  return command
    .option('--dataset <name>', 'fashion-mnist | csv:FILE | images:DIR (one subfolder of PNG/JPEG images per class)')
    .option('--dataset-dir <dir>', 'folder with the Fashion-MNIST IDX files', DEFAULT_FASHION_MNIST_DIR)
    .option('--target <column>', 'the CSV column to predict (csv datasets)')
    .option('--model <kind>', `${MODEL_SPEC_SYNTAX} (mlp:64 is one hidden layer of 64; plain mlp is 256,128)`)
    .option('--epochs <n>', `${LIMITS.epochs.min}–${LIMITS.epochs.max} (default 3)`)
    .option('--batch-size <n>', `${LIMITS.batchSize.min}–${LIMITS.batchSize.max}, at most the training set (default 64)`)
    .option('--lr <x>', `learning rate, > 0 and ≤ ${LIMITS.lr.max} (default 0.001)`)
    .option('--optimizer <kind>', `${OPTIMIZER_KINDS.join(' | ')} (default adam)`)
    .option('--seed <n>', 'random seed (default 42)')
    .option('--limit <n>', 'use only the first N training examples')
    .option('--schedule <spec>', `lr schedule: ${SCHEDULE_SYNTAX} (default constant)`)
    .option('--warmup-steps <n>', `linear lr warm-up over the first N steps, ${LIMITS.warmupSteps.min}–${LIMITS.warmupSteps.max} (default 0)`)
    .option('--early-stop <spec>', `${EARLY_STOP_SYNTAX}: stop after PATIENCE (${LIMITS.patience.min}–${LIMITS.patience.max}) epochs without the validation loss falling by more than MIN_DELTA (default 0)`)
    .option('--val-split <x>', `images: share of each class held out for validation, ${LIMITS.splitFraction.min}–${LIMITS.splitFraction.max} (default ${DEFAULT_IMAGE_SPLIT.validation})`)
    .option('--test-split <x>', `images: share of each class held out for testing, ${LIMITS.splitFraction.min}–${LIMITS.splitFraction.max} (default ${DEFAULT_IMAGE_SPLIT.test})`)
    .option('--split-folders', 'images: DIR holds train/, val/ and test/, each with one subfolder per class')
    .option('--image-size <n>', `images: side to resize to, ${LIMITS.imageSize.min}–${LIMITS.imageSize.max} (default 28 grey, 32 RGB)`)
    .option('--channels <c>', 'images: auto | 1 | 3 (default auto: RGB if any image has colour)');
}
