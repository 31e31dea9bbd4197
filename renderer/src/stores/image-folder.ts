import { defineStore } from 'pinia';
import { reactive, ref, shallowRef, watch } from 'vue';
import { PreviewDatasetParams, type DatasetPreview } from '../../../shared/dataset-preview.js';
import { fieldErrors } from '../../../shared/field-error.js';
import { DEFAULT_IMAGE_SPLIT } from '../../../shared/run-config.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { useConnectionStore } from './connection.js';

/** The image-folder fields as typed (text, so a half-typed number is kept as it is). */
export interface ImageFolderDraft {
  dir: string;
  splitMode: 'ratio' | 'folders';
  validation: string;
  test: string;
  /** Empty: the default for the detected channels. */
  imageSize: string;
  channels: 'auto' | '1' | '3';
}

const PREVIEW_DELAY_MS = 500;

/**
 * The new-run form's image-folder dataset: whether it is the chosen dataset, its fields, and a
 * preview of the folder, refreshed (debounced) as the fields change.
 */
export const useImageFolderStore = defineStore('image-folder', () => {
  const connection = useConnectionStore();
  const chosen = ref(false);
  const draft = reactive<ImageFolderDraft>({
    dir: '',
    splitMode: 'ratio',
    validation: String(DEFAULT_IMAGE_SPLIT.validation),
    test: String(DEFAULT_IMAGE_SPLIT.test),
    imageSize: '',
    channels: 'auto',
  });
  const seed = ref<number | undefined>(undefined);
  const preview = shallowRef<DatasetPreview | null>(null);
  const previewError = ref<string | null>(null);
  const loading = ref(false);
  let sequence = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

  /** The dataset spec as the run config takes it; the schema checks it. */
  function spec(): Record<string, unknown> {
    return {
      kind: 'images',
      dir: draft.dir.trim(),
      split: draft.splitMode === 'folders' ? { mode: 'folders' } : { mode: 'ratio', validation: num(draft.validation), test: num(draft.test) },
      imageSize: draft.imageSize.trim() === '' ? undefined : num(draft.imageSize),
      channels: draft.channels === 'auto' ? 'auto' : Number(draft.channels),
    };
  }

  /** Asks the host for a preview; only the newest answer is kept when requests overlap. */
  async function refresh(): Promise<void> {
    clearTimeout(timer);
    const client = connection.client;
    if (!client || !chosen.value || draft.dir.trim() === '') return;
    const checked = PreviewDatasetParams.safeParse({ dataset: spec(), seed: seed.value });
    const mine = ++sequence;
    if (!checked.success) {
      preview.value = null;
      previewError.value = fieldErrors(checked.error).map((e) => e.message).join('; ');
      return;
    }
    loading.value = true;
    try {
      const result = await client.api.previewDataset(checked.data);
      if (mine !== sequence) return;
      preview.value = result;
      previewError.value = null;
    } catch (e) {
      if (mine !== sequence) return;
      preview.value = null;
      previewError.value = e instanceof ApiError && e.error.fields ? e.error.fields.map((f) => f.message).join('; ') : (e as Error).message;
    } finally {
      if (mine === sequence) loading.value = false;
    }
  }

  function refreshSoon(): void {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), PREVIEW_DELAY_MS);
  }

  watch([draft, chosen, seed], refreshSoon);

  return { chosen, draft, seed, preview, previewError, loading, spec, refresh };
});
