import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './studio-fixture.js';

/** The virtualenv `scripts/setup.sh --test` makes with the real `tensorboard` package. */
export const TENSORBOARD_PYTHON = join(ROOT, '.cache', 'tensorboard-venv', 'bin', 'python');

export interface TensorBoardScalars {
  fileVersion: number;
  tags: string[];
  /** Per tag: [step, value, wall time in seconds], as TensorBoard's EventAccumulator read them. */
  scalars: Record<string, [number, number, number][]>;
}

/** Reads an event file (or a folder of them) with TensorBoard's own EventAccumulator. */
export function readWithTensorBoard(path: string): TensorBoardScalars {
  if (!existsSync(TENSORBOARD_PYTHON)) throw new Error(`${TENSORBOARD_PYTHON} is missing: run scripts/setup.sh --test to install TensorBoard`);
  const out = execFileSync(TENSORBOARD_PYTHON, [join(ROOT, 'tests', 'support', 'read-tfevents.py'), path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as TensorBoardScalars;
}
