import type { RunConfig } from '../../shared/run-config.js';
import { InputError } from '../input-error.js';
import { loadCsvRegression } from './csv-dataset.js';
import type { Dataset, LoadProgress } from './dataset.js';
import { loadFashionMnist } from './fashion-mnist.js';

export async function loadDataset(config: RunConfig, progress: LoadProgress): Promise<Dataset> {
  const dataset =
    config.dataset.kind === 'fashion-mnist'
      ? await loadFashionMnist(config.dataset.dir, config.limit, progress)
      : await loadCsvRegression(config.dataset.path, config.dataset.target, config.seed, config.limit, progress);
  if (config.batchSize > dataset.info.trainSize) {
    throw new InputError(
      'batchSize',
      `batchSize: must be an integer from 1 to ${dataset.info.trainSize} (the training set's size) for this dataset (got ${config.batchSize})`,
    );
  }
  if (dataset.info.task === 'regression' && config.model !== 'linear') {
    throw new InputError('model', `model: a CSV regression dataset trains the linear model only (got ${config.model})`);
  }
  return dataset;
}
