import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  MAX_MODEL_MANIFEST_BYTES,
  MODEL_MANIFEST_FILE,
  MODEL_PACKAGE_FORMAT,
  MODEL_PACKAGE_VERSION,
  MODEL_WEIGHTS_FILE,
  ModelManifest,
  type ActivationRange,
  type ModelArchitecture,
  type ModelLineage,
  type ModelMetrics,
  type TensorEntry,
} from '../../shared/model-package.js';
import { FolderExistsError, replaceFileAtomically, writeFolderAtomically } from './atomic-folder.js';
import type { NamedTensor } from './magnitude-pruning.js';
import { decodeTensor, type EncodedTensor } from './package-tensor-codec.js';

/** Sections start at multiples of this, so every typed array in the file is aligned for its type. */
const SECTION_ALIGN = 8;

/** Why a package was refused or not written; `problem` lets a caller map it without parsing the message. */
export class ModelPackageError extends Error {
  constructor(
    readonly problem: 'missing' | 'exists' | 'not-a-package' | 'newer-version' | 'invalid-manifest' | 'truncated' | 'hash-mismatch' | 'corrupt-tensor',
    message: string,
  ) {
    super(message);
    this.name = 'ModelPackageError';
  }
}

export interface ModelPackageInput {
  id: string;
  architecture: ModelArchitecture;
  tensors: readonly EncodedTensor[];
  /** Calibrated activation ranges, for an int8 inference path. */
  activations?: ActivationRange[];
  /** sizeBytes is the weights file's length, filled in here. */
  metrics: Omit<ModelMetrics, 'sizeBytes'>;
  lineage: ModelLineage;
}

export interface ModelPackage {
  manifest: ModelManifest;
  /** The whole `weights.bin`. */
  weights: Uint8Array;
}

/** Lays the encoded tensors out in one weights buffer, hashes it and checks the manifest against the schema. */
export function buildModelPackage(input: ModelPackageInput): ModelPackage {
  let length = 0;
  const placed: { entry: TensorEntry; chunks: { offset: number; bytes: Uint8Array }[] }[] = input.tensors.map(({ entry, bytes }) => {
    const chunks = bytes.map((b) => {
      length = Math.ceil(length / SECTION_ALIGN) * SECTION_ALIGN;
      const offset = length;
      length += b.byteLength;
      return { offset, bytes: b };
    });
    return { entry: withOffsets(entry, chunks.map((c) => c.offset)), chunks };
  });
  const weights = new Uint8Array(length);
  for (const { chunks } of placed) for (const { offset, bytes } of chunks) weights.set(bytes, offset);
  const manifest = ModelManifest.parse({
    format: MODEL_PACKAGE_FORMAT,
    version: MODEL_PACKAGE_VERSION,
    id: input.id,
    architecture: input.architecture,
    tensors: placed.map((p) => p.entry),
    weights: { file: MODEL_WEIGHTS_FILE, byteLength: weights.byteLength, sha256: sha256Hex(weights) },
    ...(input.activations ? { activations: input.activations } : {}),
    metrics: { ...input.metrics, sizeBytes: weights.byteLength },
    lineage: input.lineage,
  });
  return { manifest, weights };
}

function withOffsets(entry: TensorEntry, offsets: number[]): TensorEntry {
  const at = (i: number, length: number) => ({ offset: offsets[i]!, length });
  switch (entry.encoding) {
    case 'float32':
    case 'float16':
    case 'int8':
      return { ...entry, data: at(0, entry.data.length) };
    case 'csr':
      return { ...entry, rowPtr: at(0, entry.rowPtr.length), colIdx: at(1, entry.colIdx.length), values: at(2, entry.values.length) };
  }
}

/** The package's files by name, weights first: what a folder or an archive of it holds. */
export function modelPackageFiles(pkg: ModelPackage): { name: string; bytes: Uint8Array }[] {
  return [
    { name: MODEL_WEIGHTS_FILE, bytes: pkg.weights },
    { name: MODEL_MANIFEST_FILE, bytes: manifestFileBytes(pkg.manifest) },
  ];
}

function manifestFileBytes(manifest: ModelManifest): Uint8Array {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/** Writes `dir` (which must not exist) as a whole, or not at all (see writeFolderAtomically). */
export function writeModelPackage(dir: string, pkg: ModelPackage): void {
  try {
    writeFolderAtomically(dir, modelPackageFiles(pkg));
  } catch (error) {
    if (error instanceof FolderExistsError) throw new ModelPackageError('exists', `${dir} already exists; a model package is never overwritten`);
    throw error;
  }
}

/**
 * Fills in figures measured after the package was stored (the weights, and so their hash, stay as
 * they are) and returns the metrics now on record.
 */
export function recordModelMetrics(dir: string, measured: Partial<Omit<ModelMetrics, 'sizeBytes'>>): ModelMetrics {
  const { manifest } = readModelPackage(dir);
  const updated = ModelManifest.parse({ ...manifest, metrics: { ...manifest.metrics, ...measured } });
  replaceFileAtomically(join(dir, MODEL_MANIFEST_FILE), manifestFileBytes(updated));
  return updated.metrics;
}

/**
 * Reads and checks a package: the manifest against the schema (every section inside the weights
 * file and as long as its shape needs), the weights file's length and sha256, and each sparse
 * tensor's structure. Only JSON and typed arrays are parsed; nothing in a package is ever run.
 */
export function readModelPackage(dir: string): ModelPackage & { tensors: NamedTensor[] } {
  const manifestPath = join(dir, MODEL_MANIFEST_FILE);
  const weightsPath = join(dir, MODEL_WEIGHTS_FILE);
  if (!existsSync(manifestPath)) throw new ModelPackageError('missing', `${dir} is not a model package: ${MODEL_MANIFEST_FILE} is missing`);
  const manifestBytes = statSync(manifestPath).size;
  if (manifestBytes > MAX_MODEL_MANIFEST_BYTES) {
    throw new ModelPackageError('not-a-package', `${manifestPath} is ${manifestBytes} bytes, more than a model manifest's ${MAX_MODEL_MANIFEST_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new ModelPackageError('not-a-package', `${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const head = (json ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== MODEL_PACKAGE_FORMAT) {
    throw new ModelPackageError('not-a-package', `${manifestPath} is not an ${MODEL_PACKAGE_FORMAT} manifest (format: ${JSON.stringify(head.format)})`);
  }
  if (typeof head.version === 'number' && head.version > MODEL_PACKAGE_VERSION) {
    throw new ModelPackageError('newer-version', `${manifestPath} has format version ${head.version}, newer than this release reads (${MODEL_PACKAGE_VERSION})`);
  }
  const parsed = ModelManifest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`);
    throw new ModelPackageError('invalid-manifest', `${manifestPath} is invalid: ${issues.join('; ')}`);
  }
  const manifest = parsed.data;
  if (!existsSync(weightsPath)) throw new ModelPackageError('missing', `${dir} is not a whole model package: ${MODEL_WEIGHTS_FILE} is missing`);
  const weights = new Uint8Array(readFileSync(weightsPath));
  return { manifest, weights, tensors: checkModelWeights(manifest, weights, weightsPath) };
}

/**
 * The checks of a package whose manifest already passed the schema, on its weights however they
 * arrived (a file, or bytes sent to an agent): the length and sha256 the manifest gives, then each
 * tensor decoded. `weightsName` names the weights in errors.
 */
export function checkModelWeights(manifest: ModelManifest, weights: Uint8Array, weightsName: string): NamedTensor[] {
  if (weights.byteLength !== manifest.weights.byteLength) {
    throw new ModelPackageError(
      'truncated',
      weights.byteLength < manifest.weights.byteLength
        ? `${weightsName} is truncated: ${weights.byteLength} bytes, ${MODEL_MANIFEST_FILE} says ${manifest.weights.byteLength}`
        : `${weightsName} has ${weights.byteLength} bytes, ${MODEL_MANIFEST_FILE} says ${manifest.weights.byteLength}: extra data`,
    );
  }
  const actual = sha256Hex(weights);
  if (actual !== manifest.weights.sha256) {
    throw new ModelPackageError('hash-mismatch', `${weightsName} is corrupted: its sha256 is ${actual}, ${MODEL_MANIFEST_FILE} says ${manifest.weights.sha256}`);
  }
  return manifest.tensors.map((entry) => {
    try {
      return decodeTensor(entry, weights);
    } catch (error) {
      throw new ModelPackageError('corrupt-tensor', `${weightsName}: tensor ${entry.name} is corrupted: ${(error as Error).message}`);
    }
  });
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
