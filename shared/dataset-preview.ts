import { z } from 'zod';
import { ImageFolderSpec, RunConfig } from './run-config.js';

/** What an image folder will train on, shown before a run starts. */

export const MAX_PREVIEW_SAMPLES = 6;

export const PreviewDatasetParams = z.object({
  dataset: ImageFolderSpec,
  /** The run's seed, so a ratio split previews exactly the images the run will hold out. */
  seed: RunConfig.shape.seed.optional(),
  samplesPerClass: z
    .number({ error: `must be an integer from 0 to ${MAX_PREVIEW_SAMPLES}` })
    .int({ error: `must be an integer from 0 to ${MAX_PREVIEW_SAMPLES}` })
    .min(0, { error: `must be an integer from 0 to ${MAX_PREVIEW_SAMPLES}` })
    .max(MAX_PREVIEW_SAMPLES, { error: `must be an integer from 0 to ${MAX_PREVIEW_SAMPLES}` })
    .optional(),
});
export type PreviewDatasetParams = z.infer<typeof PreviewDatasetParams>;

const count = z.number().int().nonnegative();

export const SplitCounts = z.object({ train: count, validation: count, test: count });
export type SplitCounts = z.infer<typeof SplitCounts>;

export const DatasetPreview = z.object({
  dir: z.string(),
  classes: z.array(
    z.object({
      name: z.string(),
      counts: SplitCounts,
      /** A few training images as the model sees them (resized), as `data:image/png;base64,…` URLs. */
      samples: z.array(z.string().startsWith('data:image/png;base64,')),
    }),
  ),
  totals: SplitCounts,
  /** The files as found: their size range and whether any has colour. */
  source: z.object({ minWidth: count, maxWidth: count, minHeight: count, maxHeight: count, colour: z.boolean() }),
  /** What training uses: images resized to `imageSize × imageSize × channels`. */
  input: z.object({ imageSize: z.number().int(), channels: z.union([z.literal(1), z.literal(3)]) }),
  unreadable: z.array(z.object({ file: z.string(), reason: z.string() })),
  /** How many unreadable files there are in all (the list stops at a few hundred). */
  unreadableTotal: count,
});
export type DatasetPreview = z.infer<typeof DatasetPreview>;
