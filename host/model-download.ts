import type { ModelExportFormat } from '../shared/model-package.js';
import type { ExportRunResult } from '../shared/run-export.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { modelPackageFiles } from '../trainer/compression/model-package-file.js';
import { TfjsExportError, tfjsModelFiles, toTfjsModel } from '../trainer/compression/tfjs-export.js';
import type { OpenedModel } from './model-store.js';
import { tarArchive } from './tar-archive.js';

/**
 * A model as one file for the browser to save: a tar of the folder `export --out` would write
 * (`<model id>/model.json` and its weights), so unpacking it gives the same files.
 */
export function modelDownload(model: OpenedModel, format: ModelExportFormat, mtimeMs: number): ExportRunResult {
  let files;
  try {
    files = format === 'tfjs' ? tfjsModelFiles(toTfjsModel(model)) : modelPackageFiles(model);
  } catch (error) {
    if (!(error instanceof TfjsExportError)) throw error;
    throw ApiError.forField('format', `format: ${error.message}`);
  }
  const folder = `${model.manifest.id}.${format}`;
  const tar = tarArchive(files.map((f) => ({ path: `${folder}/${f.name}`, bytes: f.bytes, mtimeMs })));
  return { fileName: `${folder}.tar`, mimeType: 'application/x-tar', base64: Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength).toString('base64') };
}
