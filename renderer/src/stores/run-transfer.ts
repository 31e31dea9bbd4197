import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ModelExportFormat } from '../../../shared/model-package.js';
import { MAX_TRANSFER_BYTES, TRANSFER_LIMIT_TEXT, type ExportFormat, type ExportRunResult, type SeriesKind } from '../../../shared/run-export.js';
import { readFileBase64, saveFile } from '../file-transfer.js';
import { useConnectionStore } from './connection.js';
import { useRunsStore } from './runs.js';

/** Exporting a run or a model to a file, and importing a run archive. */
export const useRunTransferStore = defineStore('run-transfer', () => {
  const connection = useConnectionStore();
  const runs = useRunsStore();
  const exporting = ref(false);
  const importing = ref(false);
  const exportError = ref<string | null>(null);
  const importError = ref<string | null>(null);

  /** Asks the host for a file and hands it to the browser to save; `exportError` says why not. */
  async function download(make: () => Promise<ExportRunResult>): Promise<void> {
    exporting.value = true;
    exportError.value = null;
    try {
      const file = await make();
      saveFile(file.fileName, file.mimeType, file.base64);
    } catch (e) {
      exportError.value = (e as Error).message;
    } finally {
      exporting.value = false;
    }
  }

  const exportRun = (runId: string, format: ExportFormat, series?: SeriesKind) => download(() => connection.client!.api.exportRun({ runId, format, series }));
  /** A run's own model, or a compressed variant's, as a tar of its export folder. */
  const exportModel = (modelId: string, format: ModelExportFormat) => download(() => connection.client!.api.exportModel({ modelId, format }));

  /** Imports an archive and shows the run it brought back. */
  async function importFile(file: File): Promise<void> {
    importError.value = null;
    if (file.size > MAX_TRANSFER_BYTES) {
      importError.value = `${file.name} is larger than the ${TRANSFER_LIMIT_TEXT} the app can carry; use \`hpc-studio runs import FILE\``;
      return;
    }
    importing.value = true;
    try {
      const { runId } = await connection.client!.api.importRun({ fileName: file.name, base64: await readFileBase64(file) });
      await runs.refresh();
      runs.select(runId);
    } catch (e) {
      importError.value = (e as Error).message;
    } finally {
      importing.value = false;
    }
  }

  return { exporting, importing, exportError, importError, exportRun, exportModel, importFile };
});
