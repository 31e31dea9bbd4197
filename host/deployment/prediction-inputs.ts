import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { inputShapeProblem } from '../../shared/deployment.js';
import type { ModelArchitecture } from '../../shared/model-package.js';
import type { RunConfig } from '../../shared/run-config.js';
import { holdOutValidation } from '../../trainer/data/dataset.js';
import { FASHION_MNIST_FILES, pixelStatistics } from '../../trainer/data/fashion-mnist.js';
import { IdxFormatError, parseIdx, readIdxFile } from '../../trainer/data/idx-reader.js';
import { ApiError } from '../../shared/rpc-protocol.js';

const FIELD = 'input';

/** `label` is how the caller names the input: `--input` in the CLI, `input` in the app. */
function refuse(label: string, message: string): never {
  throw ApiError.forField(FIELD, `${label}: ${message}`);
}
const Rows = z.array(z.array(z.number()));
/** `{"inputs": [[...], ...]}` or the rows alone. */
const JsonInputs = z.union([Rows, z.object({ inputs: Rows })]);

/** The model the rows are for, and where its training run normalised its pixels (for raw IDX images). */
export interface InputSource {
  /** How refusals name the input: `--input` (the CLI), `input` (the app). */
  label: string;
  modelId: string;
  /** Every row must be as wide as its input. */
  architecture: ModelArchitecture;
  /** The config of the run the model was trained in (read only for IDX input). */
  trainedWith: () => RunConfig;
}

/**
 * `predict --input FILE`: a JSON file of rows (each the model's input flattened), or an IDX images
 * file (Fashion-MNIST's t10k-images-idx3-ubyte, gzipped or not) whose pixels are scaled and
 * standardised exactly as the model's training run did, with that run's training-split statistics.
 */
export async function readPredictionInputs(file: string, source: InputSource): Promise<number[][]> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (error) {
    refuse(source.label, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return predictionRows(raw, file, source);
}

/**
 * The rows of a prediction file's bytes (`file` names it in refusals), as readPredictionInputs
 * reads a file, each checked to be as wide as the model's input.
 */
export async function predictionRows(raw: Uint8Array, file: string, source: InputSource): Promise<number[][]> {
  const rows = await decodedRows(raw, file, source);
  const problem = inputShapeProblem(rows, source.architecture, source.modelId);
  if (problem) throw ApiError.forField(FIELD, problem);
  return rows;
}

async function decodedRows(raw: Uint8Array, file: string, source: InputSource): Promise<number[][]> {
  const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
  let bytes: Uint8Array = raw;
  if (gzipped) {
    try {
      bytes = gunzipSync(raw);
    } catch (error) {
      refuse(source.label, `${file} is not valid gzip (${(error as Error).message})`);
    }
  }
  if (bytes[0] === 0 && bytes[1] === 0) return idxRows(bytes, file, source);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    refuse(source.label, `${file} is neither JSON nor an IDX images file (${(error as Error).message})`);
  }
  const parsed = JsonInputs.safeParse(json);
  if (!parsed.success) {
    refuse(source.label, `${file} must hold {"inputs": [[numbers…], …]} or a list of rows (lists of numbers)`);
  }
  const rows = Array.isArray(parsed.data) ? parsed.data : parsed.data.inputs;
  if (rows.length === 0) refuse(source.label, `${file} holds no rows`);
  return rows;
}

async function idxRows(bytes: Uint8Array, file: string, source: InputSource): Promise<number[][]> {
  let images;
  try {
    images = parseIdx(bytes, file);
  } catch (error) {
    if (error instanceof IdxFormatError) refuse(source.label, `${error.message}`);
    throw error;
  }
  let trainedWith: RunConfig;
  try {
    trainedWith = source.trainedWith();
  } catch (error) {
    refuse(source.label, `IDX images are normalised as the model's training run did, but that run cannot be read: ${(error as Error).message}`);
  }
  const dataset = trainedWith.dataset;
  if (dataset.kind !== 'fashion-mnist') {
    refuse(source.label, `${file} is IDX images, but model ${source.modelId} was trained on ${dataset.kind} data; give its rows as JSON`);
  }
  const [count, ...pixelDims] = images.dims;
  const size = pixelDims.reduce((a, b) => a * b, 1);
  if (!count || pixelDims.length === 0) refuse(source.label, `${file} holds no images (dimensions ${images.dims.join('×')})`);
  const { mean, std } = await trainingStatistics(dataset.dir, trainedWith.limit, source.label);
  return Array.from({ length: count }, (_, i) => {
    const row = new Array<number>(size);
    for (let j = 0; j < size; j++) row[j] = (Math.fround(images.data[i * size + j]! / 255) - mean) / std;
    return row;
  });
}

/** The mean and spread of the pixels the run trained on: the same training split (its `limit`, less validation) the trainer measured. */
async function trainingStatistics(dir: string, limit: number | undefined, label: string): Promise<{ mean: number; std: number }> {
  let train;
  try {
    train = await readIdxFile(join(dir, FASHION_MNIST_FILES.trainImages));
  } catch (error) {
    refuse(label, `the model's training images (${join(dir, FASHION_MNIST_FILES.trainImages)}) are needed to normalise IDX input like training did: ${(error as Error).message}`);
  }
  const pixels = train.dims.slice(1).reduce((a, b) => a * b, 1);
  const used = Math.min(limit ?? train.dims[0]!, train.dims[0]!);
  const x = new Float32Array(holdOutValidation(used).train * pixels);
  for (let i = 0; i < x.length; i++) x[i] = train.data[i]! / 255;
  return pixelStatistics(x);
}
