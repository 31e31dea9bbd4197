import type { RunConfig } from '../../../shared/run-config.js';
import type { RunSummary } from '../../../shared/run-record.js';

/** The distilled run's student trained on the labels alone: the same config, same data and seed, no teacher. */
export function studentAloneConfig(distilled: RunConfig): RunConfig {
  const { distillation: _teacher, ...alone } = distilled;
  return alone;
}

/** Key order does not make two configs differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The newest run that trained the distilled run's student alone, if there is one. */
export function findStudentAlone(runs: readonly RunSummary[], distilled: RunSummary): RunSummary | null {
  const key = canonical(studentAloneConfig(distilled.config));
  return runs.filter((r) => r.id !== distilled.id && canonical(r.config) === key).sort((a, b) => b.createdAt - a.createdAt)[0] ?? null;
}
