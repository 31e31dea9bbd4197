import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvaluation } from '../../shared/evaluation.js';
import { currentEvaluationSource, readCachedEvaluation, writeCachedEvaluation } from '../../host/evaluation-cache.js';

function runDir() {
  const dir = mkdtempSync(join(tmpdir(), 'eval-cache-'));
  const checkpoints = join(dir, 'checkpoints');
  mkdirSync(checkpoints);
  return { checkpoints, file: join(dir, 'evaluation.json') };
}

function evaluation(source: { checkpoint: 'best' | 'latest'; sha256: string }): RunEvaluation {
  return {
    version: 1,
    runId: 'run-20260101-000000-abcd',
    computedAt: 1,
    source: { ...source, step: 10, epoch: 1 },
    evaluation: { task: 'regression', testSize: 1, target: 'y', points: [[1, 1]], mae: 0, rmse: 0, r2: 1, meanResidual: 0, maxAbsResidual: 0 },
  };
}

describe('the cached evaluation', () => {
  it('is served while the checkpoint it came from is unchanged', () => {
    const { checkpoints, file } = runDir();
    writeFileSync(join(checkpoints, 'latest.ckpt'), 'weights v1');
    const cached = evaluation(currentEvaluationSource(checkpoints)!);
    writeCachedEvaluation(file, cached);
    expect(readCachedEvaluation(file, checkpoints)).toEqual(cached);
  });

  it('is stale once the checkpoint is rewritten (a resumed run)', () => {
    const { checkpoints, file } = runDir();
    writeFileSync(join(checkpoints, 'latest.ckpt'), 'weights v1');
    writeCachedEvaluation(file, evaluation(currentEvaluationSource(checkpoints)!));
    writeFileSync(join(checkpoints, 'latest.ckpt'), 'weights v2');
    expect(readCachedEvaluation(file, checkpoints)).toBeNull();
  });

  it('is stale once a best checkpoint appears, which evaluations prefer', () => {
    const { checkpoints, file } = runDir();
    writeFileSync(join(checkpoints, 'latest.ckpt'), 'weights');
    writeCachedEvaluation(file, evaluation(currentEvaluationSource(checkpoints)!));
    writeFileSync(join(checkpoints, 'best.ckpt'), 'weights');
    expect(currentEvaluationSource(checkpoints)?.checkpoint).toBe('best');
    expect(readCachedEvaluation(file, checkpoints)).toBeNull();
  });

  it('is ignored when missing or unreadable', () => {
    const { checkpoints, file } = runDir();
    writeFileSync(join(checkpoints, 'best.ckpt'), 'weights');
    expect(readCachedEvaluation(file, checkpoints)).toBeNull();
    writeFileSync(file, '{"version":1,"runId":');
    expect(readCachedEvaluation(file, checkpoints)).toBeNull();
  });
});
