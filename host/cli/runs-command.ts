import { describeDataset } from '../../shared/run-config.js';
import { finalMetric } from '../../shared/run-labels.js';
import { DataDirLock } from '../run-lock.js';
import { RunStore } from '../run-store.js';

/** `hpc-studio runs`: stored runs, newest first. */
export function runsCommand(options: { dataDir: string; json: boolean }): number {
  const holder = new DataDirLock(options.dataDir).holder();
  const runs = new RunStore(options.dataDir).list((id) => holder?.runId === id);
  if (options.json) {
    process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs in ${options.dataDir}\n`);
    return 0;
  }
  const rows = runs.map((r) => [r.id, new Date(r.createdAt).toLocaleString(), describeDataset(r.config.dataset), r.config.model, r.status, finalMetric(r)]);
  const header = ['ID', 'CREATED', 'DATASET', 'MODEL', 'STATUS', 'FINAL METRIC'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
  for (const r of runs) if (r.status === 'failed' && r.reason) process.stdout.write(`  ${r.id}: ${r.reason}\n`);
  return 0;
}
