import { PruningJob, QuantizationJob, type CompressionJob } from '../../shared/compression-job.js';
import type { FieldError } from '../../shared/field-error.js';

export interface QuantizeFlags {
  scheme?: string;
  asymmetric?: boolean;
  dtype?: string;
  calibrationSamples?: string;
}

export interface PruneFlags {
  sparsity?: string;
  finetuneEpochs?: string;
  schedule?: string;
}

/** The flag a user typed for each job field. */
const FLAG_OF: Record<string, string> = {
  dtypes: 'dtype',
  scheme: 'scheme',
  calibrationSamples: 'calibration-samples',
  sparsities: 'sparsity',
  finetuneEpochs: 'finetune-epochs',
  schedule: 'schedule',
};

/** `hpc-studio quantize`'s flags as a QuantizationJob, or the errors naming each bad flag and what it accepts. */
export function quantizationJobFromFlags(sourceRunId: string, flags: QuantizeFlags): { ok: true; job: CompressionJob } | { ok: false; errors: FieldError[] } {
  const dtypes = list(flags.dtype);
  return checked(
    QuantizationJob.safeParse({
      kind: 'quantization',
      sourceRunId,
      ...(dtypes ? { dtypes } : {}),
      ...(flags.scheme !== undefined ? { scheme: flags.scheme } : {}),
      symmetric: !flags.asymmetric,
      ...(flags.calibrationSamples !== undefined ? { calibrationSamples: number(flags.calibrationSamples) } : {}),
    }),
    (field) => (field.startsWith('dtypes.') ? dtypes?.[Number(field.slice('dtypes.'.length))] : undefined),
    flags,
  );
}

/** `hpc-studio prune`'s flags as a PruningJob, or the errors naming each bad flag and what it accepts. */
export function pruningJobFromFlags(sourceRunId: string, flags: PruneFlags): { ok: true; job: CompressionJob } | { ok: false; errors: FieldError[] } {
  const sparsities = list(flags.sparsity);
  return checked(
    PruningJob.safeParse({
      kind: 'pruning',
      sourceRunId,
      ...(sparsities ? { sparsities: sparsities.map(number) } : {}),
      ...(flags.finetuneEpochs !== undefined ? { finetuneEpochs: number(flags.finetuneEpochs) } : {}),
      ...(flags.schedule !== undefined ? { schedule: flags.schedule } : {}),
    }),
    (field) => (field.startsWith('sparsities.') ? sparsities?.[Number(field.slice('sparsities.'.length))] : undefined),
    flags,
  );
}

function checked(
  parsed: ReturnType<typeof QuantizationJob.safeParse> | ReturnType<typeof PruningJob.safeParse>,
  listItem: (field: string) => string | undefined,
  flags: object,
): { ok: true; job: CompressionJob } | { ok: false; errors: FieldError[] } {
  if (parsed.success) return { ok: true, job: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      const key = issue.path[0] === undefined ? '' : String(issue.path[0]);
      const flag = FLAG_OF[key];
      if (!flag) return { field: field || '(input)', message: `${field || '(input)'}: ${issue.message}` };
      const item = listItem(field);
      // A list's bad item is named before what it must be: `--sparsity: 1.2 must be a number > 0 and < 1`.
      if (item !== undefined) return { field: flag, message: `--${flag}: ${item.trim()} ${issue.message}` };
      const given = (flags as Record<string, unknown>)[camel(flag)];
      return { field: flag, message: `--${flag}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}` };
    }),
  };
}

/** A comma-separated flag's items; absent stays absent (the job's default). */
function list(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',');
}

/** Strict: `12abc` and the empty string are not numbers. */
function number(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
