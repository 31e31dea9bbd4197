import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILES, RunEvaluation, type EvaluationSource } from '../shared/evaluation.js';
import { writeFileAtomic } from './atomic-file.js';

/** The checkpoint an evaluation would be computed from now (best, else latest), with its hash; null when there is none. */
export function currentEvaluationSource(checkpointsDir: string): Pick<EvaluationSource, 'checkpoint' | 'sha256'> | null {
  for (const which of ['best', 'latest'] as const) {
    const file = join(checkpointsDir, CHECKPOINT_FILES[which]);
    if (existsSync(file)) return { checkpoint: which, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
  }
  return null;
}

/**
 * `runs/<id>/evaluation.json`, if it was computed from the checkpoint that is there now; a
 * resumed run writes new checkpoints, so its old evaluation no longer counts.
 */
export function readCachedEvaluation(file: string, checkpointsDir: string): RunEvaluation | null {
  let cached: RunEvaluation;
  try {
    const parsed = RunEvaluation.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return null;
    cached = parsed.data;
  } catch {
    return null;
  }
  const current = currentEvaluationSource(checkpointsDir);
  return current && current.checkpoint === cached.source.checkpoint && current.sha256 === cached.source.sha256 ? cached : null;
}

export function writeCachedEvaluation(file: string, evaluation: RunEvaluation): void {
  writeFileAtomic(file, JSON.stringify(evaluation) + '\n');
}
