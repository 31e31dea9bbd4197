import { defineStore } from 'pinia';
import { computed } from 'vue';
import { DEFAULT_FASHION_MNIST_DIR } from '../../../shared/run-config.js';
import { useConnectionStore } from './connection.js';
import { useImageFolderStore } from './image-folder.js';
import { useRunOptionsDraftStore } from './run-options-draft.js';
import { useTrainingStore, type RunDraft } from './training.js';

const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/** The draft's own fields as a run config, unchecked, its dataset a file: the sweep form's base as well. */
export function draftFields(form: RunDraft, defaultDatasetDir: string) {
  return {
    dataset: form.dataset === 'csv' ? { kind: 'csv', path: form.csvPath, target: form.target } : { kind: 'fashion-mnist', dir: defaultDatasetDir },
    model: form.model,
    epochs: num(form.epochs),
    batchSize: num(form.batchSize),
    lr: num(form.lr),
    optimizer: form.optimizer,
    seed: num(form.seed),
    limit: form.limit.trim() === '' ? undefined : num(form.limit),
  };
}

/**
 * The run the new-run form's fields describe, unchecked and without peers: the form adds its
 * peers and starts it here, the Cluster panel's job form submits it with Slurm tasks as peers.
 */
export const useNewRunConfigStore = defineStore('new-run-config', () => {
  const training = useTrainingStore();
  const runOptions = useRunOptionsDraftStore();
  const images = useImageFolderStore();
  const connection = useConnectionStore();

  const candidate = computed(() => ({
    ...draftFields(training.draft, connection.info?.defaultDatasetDir ?? DEFAULT_FASHION_MNIST_DIR),
    ...(images.chosen ? { dataset: images.spec() } : {}),
    ...runOptions.toConfig(),
  }));

  return { candidate };
});
