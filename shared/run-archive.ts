import { z } from 'zod';

/**
 * A run archive (`.hpcrun`): gzip around `HPCSRUN\0`, a u32 LE format version, a u32 LE
 * manifest length, the manifest (UTF-8 JSON), then each listed file's bytes in manifest order.
 * docs/run-archive.md describes it in full.
 */
export const RUN_ARCHIVE_MAGIC = 'HPCSRUN\0';
/** Bumped when the layout changes; importers refuse a newer version instead of guessing. */
export const RUN_ARCHIVE_VERSION = 1;
export const RUN_ARCHIVE_FORMAT = 'hpc-studio/run-archive';
export const RUN_ARCHIVE_EXTENSION = '.hpcrun';
/** A manifest lists a handful of files; anything near this is not one of ours. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The files a run folder holds, and nothing else an archive may bring in. */
export const RUN_FILES = ['run.log.jsonl', 'config.json', 'meta.json'] as const;
const CHECKPOINT_PATH = /^checkpoints\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const ArchivePath = z.string().superRefine((path, ctx) => {
  const problem =
    path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.startsWith('\\') ? 'is absolute'
    : path.split(/[\\/]/).includes('..') ? 'climbs out of the run folder (..)'
    : (RUN_FILES as readonly string[]).includes(path) || CHECKPOINT_PATH.test(path) ? null
    : `is not a run file (accepted: ${RUN_FILES.join(', ')}, checkpoints/NAME)`;
  if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(path)} ${problem}` });
});

export const ArchiveEntry = z.object({
  path: ArchivePath,
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' }),
});
export type ArchiveEntry = z.infer<typeof ArchiveEntry>;

export const ArchiveManifest = z.object({
  format: z.literal(RUN_ARCHIVE_FORMAT),
  version: z.number().int().min(1),
  runId: z.string().regex(/^run-\d{8}-\d{6}-[0-9a-f]{4}$/, { error: 'must look like run-YYYYMMDD-HHMMSS-xxxx' }),
  /** ms since the Unix epoch. */
  exportedAt: z.number(),
  /** The HPC Studio version that wrote it, for people reading a bug report. */
  writer: z.string(),
  files: z
    .array(ArchiveEntry)
    .min(1)
    .max(1000)
    .superRefine((files, ctx) => {
      const seen = new Set<string>();
      files.forEach((f, i) => {
        if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `${JSON.stringify(f.path)} is listed twice` });
        seen.add(f.path);
      });
      for (const required of ['run.log.jsonl', 'config.json']) {
        if (!seen.has(required)) ctx.addIssue({ code: 'custom', message: `must include ${required}` });
      }
    }),
});
export type ArchiveManifest = z.infer<typeof ArchiveManifest>;
