import { ENDED_JOB_STATES, type ClusterJob } from '../../shared/cluster-job.js';

/** How a job's state looks in the Cluster panel: its colour (a `tone-*` class) goes with words, never alone. */
export type JobTone = 'waiting' | 'active' | 'ok' | 'neutral' | 'stopped' | 'bad';

const WORDS: Record<string, [string, JobTone]> = {
  PENDING: ['pending', 'waiting'],
  CONFIGURING: ['starting', 'active'],
  RUNNING: ['running', 'active'],
  COMPLETING: ['completing', 'active'],
  SUSPENDED: ['suspended', 'waiting'],
  REQUEUED: ['requeued', 'waiting'],
  REQUEUE_HOLD: ['requeued, held', 'waiting'],
  RESIZING: ['resizing', 'active'],
  COMPLETED: ['completed', 'ok'],
  CANCELLED: ['cancelled', 'neutral'],
  TIMEOUT: ['timed out', 'stopped'],
  PREEMPTED: ['preempted', 'stopped'],
  DEADLINE: ['deadline passed', 'stopped'],
  FAILED: ['failed', 'bad'],
  NODE_FAIL: ['node failed', 'bad'],
  BOOT_FAIL: ['boot failed', 'bad'],
  OUT_OF_MEMORY: ['out of memory', 'bad'],
  UNKNOWN: ['unknown', 'neutral'],
};

/** Slurm's state word alone (sacct writes `CANCELLED by 0`; a `+` marks flags). */
const base = (state: string) => state.trim().split(/[\s+]/)[0]!.toUpperCase();

export function jobStateLabel(state: string): { words: string; tone: JobTone } {
  const known = WORDS[base(state)];
  return known ? { words: known[0], tone: known[1] } : { words: state.toLowerCase().replace(/_/g, ' '), tone: 'neutral' };
}

/** Whether the job is still Slurm's to run: it can be cancelled or requeued. */
export function isLiveJob(job: ClusterJob): boolean {
  const state = base(job.state);
  return state !== 'UNKNOWN' && !(ENDED_JOB_STATES as readonly string[]).includes(state);
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** "waits: Priority · 2nd in queue", what a pending job waits for. */
export function pendingText(job: ClusterJob): string {
  const reason = job.reason && job.reason !== 'None' ? job.reason : 'its turn';
  return `waits: ${reason}${job.position === null ? '' : ` · ${ordinal(job.position)} in queue`}`;
}

/** Why a job ended without finishing, said plainly; null when it did not end that way. */
export function stoppedText(job: ClusterJob, timeLimitMin: number): string | null {
  switch (base(job.state)) {
    case 'TIMEOUT':
      return `Stopped by its time limit (${timeLimitMin} min).`;
    case 'PREEMPTED':
      return 'Preempted: Slurm gave its nodes to another job.';
    case 'DEADLINE':
      return 'Stopped at its deadline.';
    case 'NODE_FAIL':
      return 'A node it ran on failed.';
    default:
      return null;
  }
}
