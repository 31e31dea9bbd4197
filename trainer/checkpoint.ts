import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CHECKPOINT_FILES } from '../shared/evaluation.js';
import { RunConfig } from '../shared/run-config.js';
import { ValidationState } from './validation-tracker.js';

/**
 * A checkpoint file: the 8-byte magic `HPCSCKPT`, a u32 (LE) format version, a u32 (LE)
 * header length, the JSON header, then each tensor's float32 values (LE) back to back, in
 * the header's `tensors` order. Written to a temp file, fsynced and renamed, so a crash leaves
 * the previous checkpoint whole.
 */
export const CHECKPOINT_FILE = CHECKPOINT_FILES.latest;
/** The epoch with the lowest validation loss so far, beside the latest (which resumes). */
export const BEST_CHECKPOINT_FILE = CHECKPOINT_FILES.best;
export const CHECKPOINT_VERSION = 1;
const MAGIC = Buffer.from('HPCSCKPT', 'ascii');

export const TrainingPosition = z.object({
  step: z.number().int(),
  /** 1-based epoch in progress. */
  epoch: z.number().int(),
  /** Examples of this epoch's shuffled order already trained on. */
  epochOffset: z.number().int(),
  samplesSeen: z.number().int(),
  lr: z.number(),
  batchSize: z.number().int(),
  elapsedMs: z.number(),
  /** Sums for the epoch's mean training loss/accuracy so far. */
  epochLossSum: z.number(),
  epochCorrect: z.number(),
  epochCount: z.number().int(),
  /** The last live lr change, which rescales the schedule from then on (trainer/lr-schedule.ts). */
  lrAnchor: z.object({ lr: z.number(), scheduledLr: z.number() }).optional(),
  /** A distilled run's temperature and alpha now (changed live, they differ from its config's). */
  distillation: z.object({ temperature: z.number(), alpha: z.number() }).optional(),
  validation: ValidationState.optional(),
});
export type TrainingPosition = z.infer<typeof TrainingPosition>;

const Header = z.object({
  runId: z.string(),
  config: RunConfig,
  position: TrainingPosition,
  optimizerUpdates: z.number().int(),
  tensors: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })),
});

export interface Checkpoint {
  runId: string;
  config: RunConfig;
  position: TrainingPosition;
  optimizerUpdates: number;
  /** Parameters under their model names, optimizer slots as `slot:<name>/<index>`. */
  tensors: { name: string; shape: number[]; values: Float32Array }[];
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint, name: string = CHECKPOINT_FILE): string {
  const header = Buffer.from(
    JSON.stringify({
      runId: checkpoint.runId,
      config: checkpoint.config,
      position: checkpoint.position,
      optimizerUpdates: checkpoint.optimizerUpdates,
      tensors: checkpoint.tensors.map(({ name, shape }) => ({ name, shape })),
    }),
    'utf8',
  );
  const fixed = Buffer.alloc(16);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt32LE(CHECKPOINT_VERSION, 8);
  fixed.writeUInt32LE(header.length, 12);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, fixed);
    writeSync(fd, header);
    for (const t of checkpoint.tensors) writeSync(fd, new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return file;
}

/** The newest complete checkpoint `name` in `dir`, or null; leftover temp files from a crash are removed. */
export function readCheckpoint(dir: string, name: string = CHECKPOINT_FILE): Checkpoint | null {
  if (!existsSync(dir)) return null;
  for (const f of readdirSync(dir)) if (f.startsWith('.') && f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
  const file = join(dir, name);
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  if (bytes.length < 16 || !bytes.subarray(0, 8).equals(MAGIC)) throw new Error(`${file} is not an HPC Studio checkpoint`);
  const version = bytes.readUInt32LE(8);
  if (version > CHECKPOINT_VERSION) throw new Error(`${file} has format ${version}, newer than this release reads (${CHECKPOINT_VERSION})`);
  const headerLength = bytes.readUInt32LE(12);
  const header = Header.parse(JSON.parse(bytes.subarray(16, 16 + headerLength).toString('utf8')));
  let offset = 16 + headerLength;
  const tensors = header.tensors.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + size * 4));
    offset += size * 4;
    return { name, shape, values };
  });
  if (offset !== bytes.length) throw new Error(`${file} is truncated or padded (${bytes.length} bytes, expected ${offset})`);
  return { runId: header.runId, config: header.config, position: header.position, optimizerUpdates: header.optimizerUpdates, tensors };
}
