import { z } from 'zod';

/** What a run can be exported as, and the limits on moving one through the API. */
export const EXPORT_FORMATS = ['archive', 'csv', 'json', 'tfevents'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS, { error: `must be one of ${EXPORT_FORMATS.join(', ')}` });
export type ExportFormat = z.infer<typeof ExportFormat>;

/** CSV holds one table: steps, epochs (validation) or hardware samples. */
export const SERIES_KINDS = ['step', 'epoch', 'hardware'] as const;
export const SeriesKind = z.enum(SERIES_KINDS, { error: `must be one of ${SERIES_KINDS.join(', ')}` });
export type SeriesKind = z.infer<typeof SeriesKind>;

/**
 * The largest file the API carries either way. A 3-epoch CNN run archives to about 3 MB (its
 * checkpoint, weights plus Adam moments, is 2.7 MB and barely compresses); this leaves room for
 * long logs. Over it, the CLI's `runs export` / `runs import` move the file directly.
 * Base64 makes it 4/3 as large on the wire (see MAX_MESSAGE_BYTES).
 */
export const MAX_TRANSFER_BYTES = 16 * 1024 * 1024;
export const MAX_TRANSFER_BASE64 = Math.ceil(MAX_TRANSFER_BYTES / 3) * 4;
export const TRANSFER_LIMIT_TEXT = `${MAX_TRANSFER_BYTES / (1024 * 1024)} MiB`;

const Base64 = z
  .string()
  .max(MAX_TRANSFER_BASE64, { error: `the file is larger than the ${TRANSFER_LIMIT_TEXT} the app can carry; use \`hpc-studio runs import FILE\`` })
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64' });

const FileName = z.string().min(1).max(255);

export const ExportRunParams = z.object({
  runId: z.string().min(1).max(200),
  format: ExportFormat,
  /** For `csv`: which table (default `step`). */
  series: SeriesKind.optional(),
});
export const ExportRunResult = z.object({ fileName: FileName, mimeType: z.string(), base64: z.string() });
export type ExportRunResult = z.infer<typeof ExportRunResult>;

export const ImportRunParams = z.object({ fileName: FileName, base64: Base64 });
export const ImportRunResult = z.object({ runId: z.string() });
