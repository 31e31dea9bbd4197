import { describeDataset } from '../../../shared/run-config.js';
import type { RunStatus, RunSummary } from '../../../shared/run-record.js';

export type RunSort = 'newest' | 'oldest' | 'best-accuracy' | 'lowest-loss';

export interface RunQuery {
  text: string;
  status: RunStatus | 'any';
  /** A dataset kind (`fashion-mnist`, `csv`, `images`) or 'any'. */
  dataset: string;
  model: string;
  sort: RunSort;
  /** Archived runs stay hidden unless asked for. */
  archived: boolean;
}

/** The run list as the user narrowed and ordered it: free text over id, dataset, model, optimizer, tags and note. */
export function filterRuns(runs: readonly RunSummary[], q: RunQuery): RunSummary[] {
  const words = q.text.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = runs.filter((r) => {
    if (q.status !== 'any' && r.status !== q.status) return false;
    if (q.dataset !== 'any' && r.config.dataset.kind !== q.dataset) return false;
    if (q.model !== 'any' && r.config.model !== q.model) return false;
    if (r.meta.archived !== q.archived) return false;
    const haystack = `${r.id} ${describeDataset(r.config.dataset)} ${r.config.model} ${r.config.optimizer} lr ${r.config.lr} ${r.meta.tags.join(' ')} ${r.meta.note}`.toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
  const metric = (r: RunSummary, key: 'testAccuracy' | 'testLoss') => r[key] ?? (key === 'testAccuracy' ? -Infinity : Infinity);
  const order: Record<RunSort, (a: RunSummary, b: RunSummary) => number> = {
    newest: (a, b) => b.createdAt - a.createdAt,
    oldest: (a, b) => a.createdAt - b.createdAt,
    'best-accuracy': (a, b) => metric(b, 'testAccuracy') - metric(a, 'testAccuracy'),
    'lowest-loss': (a, b) => metric(a, 'testLoss') - metric(b, 'testLoss'),
  };
  return matches.sort(order[q.sort]);
}
