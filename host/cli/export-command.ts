import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MODEL_EXPORT_FORMATS, MODEL_PACKAGE_FORMAT } from '../../shared/model-package.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { writeModelPackage } from '../../trainer/compression/model-package-file.js';
import { TfjsExportError, writeTfjsModel } from '../../trainer/compression/tfjs-export.js';
import { describeModelManifest, ModelStore } from '../model-store.js';
import { DataDirLock } from '../run-lock.js';
import { jsonLine, refuseInput } from './bad-input.js';
import { createCliHost } from './cli-host.js';
import { EXIT } from './exit-codes.js';

export interface ExportOptions {
  out?: string;
  format?: string;
  dataDir: string;
  json: boolean;
}

/**
 * `hpc-studio export MODEL_ID --out DIR`: a model (a run's own, or a compression run's variant) as a
 * new folder: the app's hpc-model package (the default; any model), or a TensorFlow.js layers model
 * where its format can hold the tensors, with the manifest's metrics, lineage and weights sha256
 * in model.json's `userDefinedMetadata.hpcStudio`. DIR is never overwritten.
 */
export async function exportModelCommand(modelId: string, options: ExportOptions): Promise<number> {
  const refuse = (field: string, message: string) => refuseInput([{ field, message }], options.json);
  const format = options.format ?? MODEL_PACKAGE_FORMAT;
  if (!(MODEL_EXPORT_FORMATS as readonly string[]).includes(format)) return refuse('format', `--format: must be one of: ${MODEL_EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
  if (!options.out) return refuse('out', '--out: required: the folder to create for the model');
  const dir = resolve(options.out);
  if (existsSync(dir)) return refuse('out', `--out: ${dir} already exists; an export never overwrites, give a new folder`);
  const host = createCliHost(options.dataDir);
  const holder = new DataDirLock(options.dataDir).holder();
  const models = new ModelStore(host.store, (id) => holder?.runId === id && holder.purpose !== 'evaluation');
  let model;
  try {
    model = models.open(modelId);
  } catch (error) {
    if (error instanceof ApiError) return refuse('model', error.message);
    throw error;
  }
  try {
    if (format === 'tfjs') writeTfjsModel(dir, model);
    else writeModelPackage(dir, model);
  } catch (error) {
    if (error instanceof TfjsExportError) return refuse('format', `--format tfjs: ${error.message}`);
    throw error;
  }
  const { manifest } = model;
  if (options.json) {
    jsonLine({ type: 'done', modelId: manifest.id, format, dir, sizeBytes: manifest.metrics.sizeBytes, sha256: manifest.weights.sha256, lineage: manifest.lineage, metrics: manifest.metrics });
  } else {
    process.stdout.write(`wrote ${describeModelManifest(manifest)} to ${dir} as ${format} (weights sha256 ${manifest.weights.sha256})\n`);
  }
  return EXIT.done;
}
