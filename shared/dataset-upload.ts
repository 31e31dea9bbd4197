import { z } from 'zod';

/**
 * A run's dataset sent by the app to a peer's node (`distribution.dataset: 'upload'`): the node is
 * asked whether it holds the dataset's hash, and if not, sent its files in chunks over the agent's
 * API; it keeps them under that hash only once it has hashed them itself.
 */

/** Bytes of file data in one `uploadDatasetChunk` (base64 on the wire: 4/3 of this, well under MAX_MESSAGE_BYTES). */
export const DATASET_CHUNK_BYTES = 4 * 1024 * 1024;

/** The most files one dataset may have (an image folder of this many files is already a large one). */
export const MAX_DATASET_FILES = 100_000;

/** An agent's default cap on one dataset upload. */
export const DEFAULT_DATASET_UPLOAD_LIMIT = 2 * 1024 ** 3;

export const Sha256 = z.string({ error: 'must be a SHA-256 hash: 64 lowercase hex digits' }).regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 hash: 64 lowercase hex digits' });

const PATH_RULE = 'must be a relative path inside the dataset: /-separated names, none of them empty, `.` or `..`, at most 1024 characters';

/** A file's place inside the dataset: never absolute, never climbing out with `..`. */
export const DatasetFilePath = z
  .string({ error: PATH_RULE })
  .min(1, { error: PATH_RULE })
  .max(1024, { error: PATH_RULE })
  .refine((path) => !/[\\\0]/.test(path) && path.split('/').every((name) => name !== '' && name !== '.' && name !== '..') && !/^[A-Za-z]:/.test(path), {
    error: PATH_RULE,
  });

export const DatasetFile = z.object({
  path: DatasetFilePath,
  size: z.number({ error: 'must be a size in bytes' }).int({ error: 'must be a size in bytes' }).min(0, { error: 'must be a size in bytes' }),
});
export type DatasetFile = z.infer<typeof DatasetFile>;

/** The dataset's files in path order (the order its hash is taken in), each path once and none inside another. */
export const DatasetManifest = z
  .object({
    sha256: Sha256,
    files: z
      .array(DatasetFile)
      .min(1, { error: 'a dataset has at least one file' })
      .max(MAX_DATASET_FILES, { error: `a dataset has at most ${MAX_DATASET_FILES} files` }),
  })
  .superRefine(({ files }, ctx) => {
    for (let i = 1; i < files.length; i++) {
      const before = files[i - 1]!.path;
      const path = files[i]!.path;
      if (before >= path) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `must come after ${before}: the files are listed once each, in path order` });
      else if (path.startsWith(`${before}/`)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `is inside ${before}, which is a file` });
    }
  });
export type DatasetManifest = z.infer<typeof DatasetManifest>;

export const UploadId = z.string().regex(/^upload-[0-9a-f]{16}$/, { error: 'must be an upload id from beginDatasetUpload' });

export const DatasetStatusResult = z.object({ state: z.enum(['present', 'absent']) });

export const DatasetChunk = z.object({
  uploadId: UploadId,
  /** A file of the upload's manifest. */
  path: DatasetFilePath,
  /** Where in the file this chunk starts: every byte before it has been sent, none after. */
  offset: z.number().int().min(0),
  /** The bytes, base64. */
  data: z.base64({ error: `must be base64 bytes, at most ${DATASET_CHUNK_BYTES} of them` }).max(Math.ceil(DATASET_CHUNK_BYTES / 3) * 4, {
    error: `must be base64 bytes, at most ${DATASET_CHUNK_BYTES} of them`,
  }),
});

export const FinishedUpload = z.object({ sha256: Sha256, files: z.number().int(), bytes: z.number().int() });
