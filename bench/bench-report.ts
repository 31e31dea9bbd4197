import { cpus, totalmem } from 'node:os';

/** Percentile of an ascending-sorted list (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Every benchmark prints one JSON object: what ran, on which machine, its figures and its baseline's. */
export function printReport(name: string, figures: Record<string, unknown>): void {
  const report = {
    benchmark: name,
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    ...figures,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}
