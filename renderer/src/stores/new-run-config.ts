import { defineStore } from 'pinia';
import { computed } from 'vue';
import { DEFAULT_FASHION_MNIST_DIR } from '../../../shared/run-config.js';
import { useConnectionStore } from './connection.js';
import { useImageFolderStore } from './image-folder.js';
import { useRunOptionsDraftStore } from './run-options-draft.js';
import { useTrainingStore } from './training.js';

const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/**
 * The run the new-run form's fields describe, unchecked and without peers: the form adds its
 * peers and starts it here, the Cluster panel's job form submits it with Slurm tasks as peers.
 */
export const useNewRunConfigStore = defineStore('new-run-config', () => {
  const training = useTrainingStore();
  const runOptions = useRunOptionsDraftStore();
  const images = useImageFolderStore();
  const connection = useConnectionStore();

  const candidate = computed(() => {
    const form = training.draft;
    return {
      dataset: images.chosen
        ? images.spec()
        : form.dataset === 'csv'
          ? { kind: 'csv', path: form.csvPath, target: form.target }
          : { kind: 'fashion-mnist', dir: connection.info?.defaultDatasetDir ?? DEFAULT_FASHION_MNIST_DIR },
      model: form.model,
      epochs: num(form.epochs),
      batchSize: num(form.batchSize),
      lr: num(form.lr),
      optimizer: form.optimizer,
      seed: num(form.seed),
      limit: form.limit.trim() === '' ? undefined : num(form.limit),
      ...runOptions.toConfig(),
    };
  });

  return { candidate };
});
