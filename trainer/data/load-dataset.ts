import type { RunConfig } from '../../shared/run-config.js';
import { InputError } from '../input-error.js';
import { loadCsvRegression } from './csv-dataset.js';
import type { Dataset, LoadProgress } from './dataset.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadImageFolder } from './image-folder-dataset.js';

/** `warn` hears about data left out (e.g. undecodable images), which never stops a run. */
export async function loadDataset(config: RunConfig, progress: LoadProgress, warn: (message: string) => void = () => {}): Promise<Dataset> {
  const spec = config.dataset;
  const dataset =
    spec.kind === 'fashion-mnist'
      ? await loadFashionMnist(spec.dir, config.limit, progress)
      : spec.kind === 'images'
        ? await loadImageFolder(spec, config.seed, config.limit, progress, warn)
        : await loadCsvRegression(spec.path, spec.target, config.seed, config.limit, progress);
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
