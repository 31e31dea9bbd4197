import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILES } from '../shared/evaluation.js';
import { ModelId, type ModelManifest } from '../shared/model-package.js';
import { ApiError } from '../shared/rpc-protocol.js';
import { readCheckpoint } from '../trainer/checkpoint.js';
import { buildModelPackage, ModelPackageError, readModelPackage, type ModelPackage } from '../trainer/compression/model-package-file.js';
import type { NamedTensor } from '../trainer/compression/magnitude-pruning.js';
import { architectureOf, checkpointParameters } from '../trainer/compression/model-architecture.js';
import { encodeModelTensors } from '../trainer/compression/package-tensor-codec.js';
import { startedDataset } from './finished-run-source.js';
import type { RunStore } from './run-store.js';

const FIELD = 'model';

export type OpenedModel = ModelPackage & { tensors: NamedTensor[] };

function refuse(message: string, code: 'invalid' | 'not-found' = 'invalid'): never {
  throw ApiError.forField(FIELD, `${FIELD}: ${message}`, code);
}

/**
 * Models by id: `<runId>.<label>` is a compression run's variant (`runs/<id>/models/<label>/`, an
 * hpc-model package, checked against its hash); a bare `<runId>` is a finished training run's own
 * fp32 model, packaged from its best (else latest) checkpoint. `training(id)`: whether a trainer
 * is on that run now, whose weights are still changing.
 */
export class ModelStore {
  constructor(
    private readonly runs: RunStore,
    private readonly training: (runId: string) => boolean,
  ) {}

  open(modelId: string): OpenedModel {
    if (!ModelId.safeParse(modelId).success) refuse(`${JSON.stringify(modelId)} is not a model id: give a run id, or <run id>.<variant> for a compressed variant`);
    const dot = modelId.indexOf('.');
    const runId = dot < 0 ? modelId : modelId.slice(0, dot);
    const paths = this.existingRun(runId);
    if (this.training(runId)) refuse(`run ${runId} is still running; its models are ready once it is done`);
    if (dot < 0) return this.runModel(runId);
    const label = modelId.slice(dot + 1);
    const dir = join(paths.models, label);
    if (!existsSync(dir)) {
      const labels = this.labels(runId);
      refuse(
        labels.length
          ? `run ${runId} has no variant ${JSON.stringify(label)}; it has: ${labels.join(', ')}`
          : `run ${runId} has no compressed variants; give the run id alone for its own model`,
        'not-found',
      );
    }
    try {
      return readModelPackage(dir);
    } catch (error) {
      if (error instanceof ModelPackageError) refuse(`${modelId} cannot be loaded: ${error.message}`);
      throw error;
    }
  }

  /** The variants a compression run stored, by label. */
  labels(runId: string): string[] {
    const dir = this.existingRun(runId).models;
    return existsSync(dir) ? readdirSync(dir).filter((name) => !name.startsWith('.')).sort() : [];
  }

  private existingRun(runId: string) {
    let paths;
    try {
      paths = this.runs.paths(runId);
    } catch {
      refuse(`no run named ${JSON.stringify(runId)}`, 'not-found');
    }
    if (!existsSync(paths.log)) refuse(`no run named ${JSON.stringify(runId)}`, 'not-found');
    return paths;
  }

  /** A training run's model as float32 tensors, with the run's test accuracy as its metric. */
  private runModel(runId: string): OpenedModel {
    const summary = this.runs.summary(runId, false);
    if (summary.config.compression) refuse(`run ${runId} is a compression run; name one of its variants: ${this.labels(runId).map((l) => `${runId}.${l}`).join(', ')}`);
    if (summary.status !== 'done') refuse(`run ${runId} is ${summary.status}; a model comes from a run that finished (done)`);
    const dir = this.runs.paths(runId).checkpoints;
    const checkpoint = readCheckpoint(dir, CHECKPOINT_FILES.best) ?? readCheckpoint(dir, CHECKPOINT_FILES.latest);
    if (!checkpoint) refuse(`run ${runId} has no checkpoint to take its model from`);
    const info = startedDataset(this.runs, runId);
    if (!info) refuse(`run ${runId} never started training, so it has no model`);
    const tensors = checkpointParameters(checkpoint);
    const pkg = buildModelPackage({
      id: runId,
      architecture: architectureOf(summary.config, info),
      tensors: encodeModelTensors(tensors, 'float32'),
      metrics: { ...(summary.testAccuracy !== undefined ? { testAccuracy: summary.testAccuracy } : {}), inferencePath: 'fp32' },
      // The log's mtime has a fraction of a ms; lineage times are whole ms.
      lineage: { sourceRunId: runId, compression: { kind: 'none' }, createdAt: Math.floor(summary.updatedAt) },
    });
    return { ...pkg, tensors };
  }
}

/** What a model is, in a line: its id, architecture and where it came from. */
export function describeModelManifest(m: ModelManifest): string {
  const c = m.lineage.compression;
  const how =
    c.kind === 'none' ? 'fp32'
    : c.kind === 'quantization' ? `${c.dtype}${c.granularity ? ` ${c.granularity}` : ''}`
    : c.kind === 'pruning' ? `${Math.round(c.sparsity * 100)} % sparse`
    : `distilled from ${c.teacherRunId}`;
  return `${m.id} (${m.architecture.model}, ${how}, from run ${m.lineage.sourceRunId})`;
}
