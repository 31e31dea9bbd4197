import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_MANIFEST_FILE, MODEL_WEIGHTS_FILE, ModelManifest } from '../../shared/model-package.js';
import { dequantizeInt8, quantizeInt8, type Int8Scheme } from '../../trainer/compression/int8-quantization.js';
import { pruneByMagnitude } from '../../trainer/compression/magnitude-pruning.js';
import { buildModelPackage, ModelPackageError, readModelPackage, writeModelPackage } from '../../trainer/compression/model-package-file.js';
import { encodeModelTensors, type ModelEncoding } from '../../trainer/compression/package-tensor-codec.js';
import { CNN_ARCHITECTURE, CNN_SHAPES, LINEAGE, MLP_ARCHITECTURE, MLP_SHAPES, parameterTensors, sameTensors, sameValues } from '../support/compression-fixtures.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'model-package-'));
const PER_CHANNEL: Int8Scheme = { granularity: 'per-channel', symmetric: true };
const ASYMMETRIC: Int8Scheme = { granularity: 'per-tensor', symmetric: false };

const mlp = parameterTensors(MLP_SHAPES, 4);

function packageOf(encoding: ModelEncoding, tensors = mlp, id = 'mlp-test') {
  return buildModelPackage({
    id,
    architecture: MLP_ARCHITECTURE,
    tensors: encodeModelTensors(tensors, encoding),
    metrics: { testAccuracy: 0.87, samplesPerSec: 12000 },
    lineage: LINEAGE,
  });
}

function written(encoding: ModelEncoding = 'float32'): string {
  const dir = join(tempDir(), 'model');
  writeModelPackage(dir, packageOf(encoding));
  return dir;
}

const packageBytes = (dir: string) => statSync(join(dir, MODEL_WEIGHTS_FILE)).size + statSync(join(dir, MODEL_MANIFEST_FILE)).size;

const editManifest = (dir: string, edit: (m: any) => void) => {
  const path = join(dir, MODEL_MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  edit(manifest);
  writeFileSync(path, JSON.stringify(manifest));
};

describe('model packages', () => {
  it('give back identical float32 tensors, with the manifest that was written', () => {
    const dir = written();
    const read = readModelPackage(dir);
    expect(sameTensors(read.tensors, mlp)).toBe(true);
    expect(read.manifest.metrics).toEqual({ testAccuracy: 0.87, samplesPerSec: 12000, sizeBytes: statSync(join(dir, MODEL_WEIGHTS_FILE)).size });
    expect(read.manifest.lineage).toEqual(LINEAGE);
    expect(read.manifest.architecture).toEqual(MLP_ARCHITECTURE);
    expect(read.manifest.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('store int8 kernels with their scales, restoring exactly what dequantization gives, biases untouched', () => {
    for (const scheme of [PER_CHANNEL, ASYMMETRIC]) {
      const { tensors, manifest } = readModelPackage(written({ int8: scheme }));
      tensors.forEach((t, i) => {
        const original = mlp[i]!;
        const expected = t.name.endsWith('/kernel') ? dequantizeInt8(quantizeInt8(original.values, original.shape, scheme)) : original.values;
        expect(sameValues(t.values, expected), t.name).toBe(true);
      });
      expect(manifest.tensors.map((t) => t.encoding)).toEqual(['int8', 'float32', 'int8', 'float32', 'int8', 'float32']);
    }
  });

  it('store pruned kernels sparse (CSR) so the file shrinks, and restore them exactly', () => {
    const { tensors: pruned } = pruneByMagnitude(mlp, 0.75);
    const dense = join(tempDir(), 'dense');
    writeModelPackage(dense, packageOf('float32', pruned));
    const sparse = join(tempDir(), 'sparse');
    writeModelPackage(sparse, packageOf({ csr: 'float32' }, pruned));
    expect(sameTensors(readModelPackage(sparse).tensors, pruned)).toBe(true);
    expect(packageBytes(sparse)).toBeLessThan(0.45 * packageBytes(dense));

    const sparseInt8 = join(tempDir(), 'sparse-int8');
    writeModelPackage(sparseInt8, packageOf({ csr: PER_CHANNEL }, pruned));
    const restored = readModelPackage(sparseInt8).tensors;
    restored.forEach((t, i) => {
      const p = pruned[i]!;
      const expected = t.name.endsWith('/kernel') ? dequantizeInt8(quantizeInt8(p.values, p.shape, PER_CHANNEL)) : p.values;
      expect(sameValues(t.values, expected), t.name).toBe(true);
      expect(p.values.filter((v, j) => v === 0 && t.values[j] !== 0).length, `${t.name}: pruned weights that came back non-zero`).toBe(0);
    });
    // At 75 % the column numbers (2 bytes each) outweigh the int8 values: about 0.22× dense float32.
    expect(packageBytes(sparseInt8)).toBeLessThan(0.25 * packageBytes(dense));
  });

  it('keep float16 tensors as halves: half the bytes', () => {
    const dir = written('float16');
    expect(statSync(join(dir, MODEL_WEIGHTS_FILE)).size).toBeLessThanOrEqual(statSync(join(written('float32'), MODEL_WEIGHTS_FILE)).size / 2 + 64);
    readModelPackage(dir).tensors.forEach((t, i) => {
      // Half precision: 11 significant bits, so within half an ulp, 2⁻¹¹ relative (2⁻²⁵ absolute among subnormals).
      const worst = t.values.reduce((w, v, j) => Math.max(w, Math.abs(v - mlp[i]!.values[j]!) / (Math.abs(mlp[i]!.values[j]!) * 2 ** -11 + 2 ** -25)), 0);
      expect(worst, t.name).toBeLessThanOrEqual(1);
    });
  });

  it('make the int8 MLP (784-256-128-10) at most 0.3× the float32 one, model.json included', () => {
    const fp32 = packageBytes(written('float32'));
    const int8 = packageBytes(written({ int8: PER_CHANNEL }));
    expect(int8 / fp32).toBeLessThanOrEqual(0.3);
  });

  it('hold a CNN, conv filters quantized per output channel', () => {
    const cnn = parameterTensors(CNN_SHAPES, 9);
    const dir = join(tempDir(), 'cnn');
    writeModelPackage(dir, buildModelPackage({ id: 'cnn', architecture: CNN_ARCHITECTURE, tensors: encodeModelTensors(cnn, { int8: PER_CHANNEL }), metrics: {}, lineage: LINEAGE }));
    const { manifest } = readModelPackage(dir);
    expect(manifest.tensors[0]).toMatchObject({ name: 'conv1/kernel', encoding: 'int8', quantization: { granularity: 'per-channel', axis: 3 } });
    expect(manifest.tensors[0]!.encoding === 'int8' && manifest.tensors[0]!.quantization.scales).toHaveLength(32);
  });

  it('refuse a flipped byte in the weights, naming the hash', () => {
    const dir = written();
    const bytes = readFileSync(join(dir, MODEL_WEIGHTS_FILE));
    bytes[1000] ^= 0x01;
    writeFileSync(join(dir, MODEL_WEIGHTS_FILE), bytes);
    expect(() => readModelPackage(dir)).toThrow(/weights\.bin is corrupted: its sha256 is [0-9a-f]{64}, model\.json says [0-9a-f]{64}/);
    const error = (() => {
      try {
        readModelPackage(dir);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ModelPackageError);
    expect((error as ModelPackageError).problem).toBe('hash-mismatch');
  });

  it('refuse a truncated weights file, saying how short it is', () => {
    const dir = written();
    const bytes = readFileSync(join(dir, MODEL_WEIGHTS_FILE));
    writeFileSync(join(dir, MODEL_WEIGHTS_FILE), bytes.subarray(0, bytes.length - 100));
    expect(() => readModelPackage(dir)).toThrow(new RegExp(`truncated: ${bytes.length - 100} bytes, model.json says ${bytes.length}`));
  });

  it('refuse a changed shape in model.json, naming the tensor and the field', () => {
    const dir = written();
    editManifest(dir, (m) => (m.tensors[0].shape = [784, 300]));
    expect(() => readModelPackage(dir)).toThrow(/tensors\.0\.data\.length: is 802816 bytes, but dense1\/kernel of shape \[784, 300\] needs 940800/);
  });

  it('refuse an offset past the end of the weights file', () => {
    const dir = written();
    editManifest(dir, (m) => (m.tensors[5].data.offset += 64));
    expect(() => readModelPackage(dir)).toThrow(/tensors\.5\.data\.offset: out of range: bytes \d+…\d+ of dense3\/bias lie past the end of weights\.bin/);
  });

  it('refuse a newer format version, a foreign file and an int8 tensor without its scales', () => {
    const newer = written();
    editManifest(newer, (m) => (m.version = 2));
    expect(() => readModelPackage(newer)).toThrow(/format version 2, newer than this release reads \(1\)/);
    const foreign = written();
    writeFileSync(join(foreign, MODEL_MANIFEST_FILE), JSON.stringify({ format: 'layers-model' }));
    expect(() => readModelPackage(foreign)).toThrow(/not an hpc-model manifest \(format: "layers-model"\)/);
    const noScales = written({ int8: PER_CHANNEL });
    editManifest(noScales, (m) => m.tensors[0].quantization.scales.pop());
    expect(() => readModelPackage(noScales)).toThrow(/tensors\.0\.quantization\.(scales|zeroPoints): must hold one/);
    expect(() => readModelPackage(tempDir())).toThrow(/is not a model package: model\.json is missing/);
  });

  it('never overwrite an existing package, and leave no temp folder behind', () => {
    const parent = tempDir();
    const dir = join(parent, 'model');
    writeModelPackage(dir, packageOf('float32'));
    const before = readFileSync(join(dir, MODEL_WEIGHTS_FILE));
    expect(() => writeModelPackage(dir, packageOf({ int8: PER_CHANNEL }))).toThrow(/already exists; a model package is never overwritten/);
    expect(readFileSync(join(dir, MODEL_WEIGHTS_FILE)).equals(before)).toBe(true);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('check every manifest field with its accepted range', () => {
    const { manifest } = packageOf('float32');
    const issues = (edit: (m: any) => void) => {
      const copy = structuredClone(manifest);
      edit(copy);
      const result = ModelManifest.safeParse(copy);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues((m) => (m.metrics.testAccuracy = 1.2))).toContain('metrics.testAccuracy: must be a number from 0 to 1');
    expect(issues((m) => (m.lineage.compression = { kind: 'pruning', sparsity: 1, schedule: 'one-shot', finetuneEpochs: 0 }))).toContain(
      'lineage.compression.sparsity: must be a number > 0 and < 1',
    );
    expect(issues((m) => (m.architecture.model = 'rnn'))).toContain('architecture.model: must be one of: linear, mlp, cnn');
    expect(issues((m) => (m.tensors[1].encoding = 'int4'))).toEqual(expect.arrayContaining([expect.stringMatching(/encoding must be one of: float32, float16, int8, csr/)]));
    expect(issues((m) => (m.weights.sha256 = 'abc'))).toContain('weights.sha256: must be 64 lowercase hex digits');
    expect(issues((m) => (m.id = '../escape'))).toEqual([expect.stringMatching(/^id: must be 1 to 100 letters/)]);
  });
});
