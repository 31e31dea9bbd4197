import type { CompressionJob } from '../../shared/compression-job.js';
import { putVariant, variantSummary, type CompressedVariant } from '../../shared/compression-variant.js';
import type { FieldError } from '../../shared/field-error.js';
import { formatBytes } from '../../shared/run-labels.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { resolveCompressionSource } from '../compression-source.js';
import { DataDirLock } from '../run-lock.js';
import { refuseInput } from './bad-input.js';
import { createCliHost } from './cli-host.js';
import { pruningJobFromFlags, quantizationJobFromFlags, type PruneFlags, type QuantizeFlags } from './compress-flags.js';
import { table } from './text-table.js';
import { trainInForeground } from './train-command.js';

export interface CompressOptions {
  dataDir: string;
  json: boolean;
}

/** `hpc-studio quantize RUN_ID`: post-training quantization of a finished run, in the foreground. */
export function quantizeCommand(runId: string, options: QuantizeFlags & CompressOptions): Promise<number> {
  return compressCommand(quantizationJobFromFlags(runId, options), options);
}

/** `hpc-studio prune RUN_ID`: magnitude pruning of a finished run to each sparsity, fine-tuned, in the foreground. */
export function pruneCommand(runId: string, options: PruneFlags & CompressOptions): Promise<number> {
  return compressCommand(pruningJobFromFlags(runId, options), options);
}

/**
 * One compression run to its end, with trainInForeground's progress bar; then a table of the
 * variants against the fp32 original, or with --json a done line listing them (variantSummary).
 */
async function compressCommand(checked: { ok: true; job: CompressionJob } | { ok: false; errors: FieldError[] }, options: CompressOptions): Promise<number> {
  const refuse = (errors: readonly { field: string; message: string }[]) => refuseInput(errors, options.json);
  if (!checked.ok) return refuse(checked.errors);
  const host = createCliHost(options.dataDir);
  let config;
  try {
    // Checked again when the run starts; here first, for the run's config (its source's, with the job).
    const holder = new DataDirLock(options.dataDir).holder();
    config = resolveCompressionSource(host.store, checked.job, (id) => holder?.runId === id && holder.purpose !== 'evaluation').config;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return refuse(error.error.fields ?? [{ field: 'compression', message: error.message }]);
  }
  return trainInForeground(host, config, {
    json: options.json,
    start: () => host.service.startRun({ config }),
    report: (runId) => {
      const variants: CompressedVariant[] = [];
      for (const r of host.store.readLog(runId).records) if (r.type === 'variant') putVariant(variants, r.variant);
      return { fields: { variants: variants.map(variantSummary) }, lines: ['', variantTable(variants).trimEnd(), '', layerTable(variants).trimEnd()] };
    },
  });
}

/** How a speed beside it was reached, where not on float32 weights as trained. */
const PATH_NOTE = { 'dequantized-fp32': 'dequantized fp32', int8: 'int8 kernels' } as const;

/** Each variant beside the fp32 original: size (and its share), test accuracy (and the change in points), speed, sparsity. */
export function variantTable(variants: readonly CompressedVariant[]): string {
  const fp32 = variants.find((v) => v.compression.kind === 'none');
  const rows = [['variant', 'size', '× fp32', 'test accuracy', 'Δ points', 'samples/s', 'sparsity']];
  for (const v of variants) {
    const m = v.metrics;
    const base = fp32?.metrics;
    const delta = m.testAccuracy !== undefined && base?.testAccuracy !== undefined ? (m.testAccuracy - base.testAccuracy) * 100 : undefined;
    const zeros = v.layers?.filter((l) => l.prunable);
    const sparsity = zeros?.length ? zeros.reduce((n, l) => n + l.zeros, 0) / zeros.reduce((n, l) => n + l.size, 0) : undefined;
    rows.push([
      v.label,
      formatBytes(m.sizeBytes),
      base?.sizeBytes ? `${(m.sizeBytes / base.sizeBytes).toFixed(2)}×` : '–',
      m.testAccuracy === undefined ? '–' : `${(m.testAccuracy * 100).toFixed(2)} %`,
      delta === undefined || v === fp32 ? '' : `${delta >= 0 ? '+' : ''}${delta.toFixed(2)}`,
      m.samplesPerSec === undefined ? '–' : `${Math.round(m.samplesPerSec).toLocaleString('en')}${m.inferencePath && m.inferencePath !== 'fp32' ? ` (${PATH_NOTE[m.inferencePath]})` : ''}`,
      sparsity === undefined ? '' : `${(sparsity * 100).toFixed(1)} % of kernels`,
    ]);
  }
  return table(rows);
}

/**
 * Per layer (tensor), each variant's figure: a pruned one's share of zeros, a quantized one's
 * restoration error (RMS error relative to the original's RMS).
 */
export function layerTable(variants: readonly CompressedVariant[]): string {
  const shown = variants.filter((v) => v.layers || v.metrics.layerErrors);
  const names = shown[0]?.layers?.map((l) => l.name) ?? shown[0]?.metrics.layerErrors?.map((e) => e.name) ?? [];
  const pruned = shown.some((v) => v.layers);
  const rows = [[pruned ? 'layer (share of zeros)' : 'layer (relative RMS error)', ...shown.map((v) => v.label)]];
  for (const name of names) {
    rows.push([
      name,
      ...shown.map((v) => {
        const layer = v.layers?.find((l) => l.name === name);
        if (layer) return `${(layer.sparsity * 100).toFixed(1)} %`;
        const error = v.metrics.layerErrors?.find((e) => e.name === name);
        return error ? `${(error.relativeRmse * 100).toFixed(3)} %` : '–';
      }),
    ]);
  }
  return table(rows);
}
