import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ClusterRunId, ClusterTarget, isLive, type ClusterRun } from '../../shared/cluster-job.js';
import { CLUSTER_REFRESH_SEC } from '../../shared/cluster-status.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { RunRecord } from '../../shared/run-record.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { RunStore } from '../run-store.js';
import type { ClusterAccessFor } from './cluster-access.js';

const Followed = z.object({ runs: z.array(z.object({ target: ClusterTarget, clusterRunId: ClusterRunId, runId: z.string() })) });
type FollowedRun = z.infer<typeof Followed>['runs'][number];


export interface ClusterRunMirrorDeps {
  store: RunStore;
  cluster: ClusterAccessFor;
  /** `followed-cluster-runs.json` in the data directory: which runs to catch up with when the app opens again. */
  file: string;
  /** Each record copied in, as the run's own trainer would have reported it. */
  onRecord: (runId: string, record: RunRecord) => void;
  onError?: (error: unknown) => void;
  /** How often the followed runs' logs are read. */
  pollMs?: number;
  /** How often each cluster's queue is asked which of them still run: squeue is the controller's load, a log read is not. */
  queueEveryMs?: number;
}

/**
 * Cluster runs shown as local ones: each followed run's log is copied, byte for byte and in
 * whole lines, from the cluster into this host's `runs/<id>/`, every couple of seconds while its
 * job runs. The copy's length is where the next read starts, so closing the app loses nothing:
 * the next start reads on from there.
 */
export class ClusterRunMirror {
  private readonly followed = new Map<string, FollowedRun>();
  /** Runs whose job is in Slurm's queue now: their page is live, not an interrupted run. */
  private readonly live = new Set<string>();
  private readonly settled = new Set<string>();
  private readonly queues = new Map<string, { at: number; runs: Promise<ClusterRun[]> }>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly deps: ClusterRunMirrorDeps) {
    if (existsSync(deps.file)) {
      const parsed = Followed.safeParse(JSON.parse(readFileSync(deps.file, 'utf8')));
      for (const run of parsed.success ? parsed.data.runs : []) this.followed.set(run.runId, run);
    }
  }

  isLive(runId: string): boolean {
    return this.live.has(runId);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.pollAll(), this.deps.pollMs ?? 2000);
    void this.pollAll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Follows a cluster run once its first task has started training it; answers when its log has been caught up with. */
  async follow(target: ClusterTarget, clusterRunId: string): Promise<{ runId: string }> {
    const cluster = await this.deps.cluster(target);
    const run = (await cluster.listClusterRuns({})).find((r) => r.id === clusterRunId);
    if (!run) throw new ApiError({ code: 'not-found', message: `clusterRunId: no cluster run named ${JSON.stringify(clusterRunId)}` });
    if (run.runId === null) throw new ApiError({ code: 'conflict', message: `${clusterRunId} has not started training yet (job ${run.jobs.at(-1)!.jobId} is ${run.jobs.at(-1)!.state.toLowerCase()})` });
    const followed = { target, clusterRunId, runId: run.runId };
    if (!this.followed.has(run.runId)) {
      this.followed.set(run.runId, followed);
      this.save();
    }
    await this.poll(followed, run);
    return { runId: run.runId };
  }

  private pollAll(): Promise<void> {
    this.polling ??= (async () => {
      for (const run of this.followed.values()) {
        try {
          await this.poll(run);
        } catch (error) {
          this.deps.onError?.(error);
        }
      }
    })().finally(() => (this.polling = null));
    return this.polling;
  }

  private async poll(followed: FollowedRun, known?: ClusterRun): Promise<void> {
    const cluster = await this.deps.cluster(followed.target);
    const run = known ?? (await this.queue(followed.target)).find((r) => r.id === followed.clusterRunId);
    const live = run !== undefined && isLive(run.jobs.at(-1)!.state);
    if (live) this.live.add(followed.runId);
    else this.live.delete(followed.runId);
    // A run with no job in the queue was read to its end once; it is read again only when a job runs it.
    if (!live && this.settled.has(followed.runId)) return;
    const log = this.deps.store.paths(followed.runId).log;
    for (;;) {
      const offset = this.copied(followed.runId);
      const chunk = await cluster.readClusterRunLog({ clusterRunId: followed.clusterRunId, offset });
      if (chunk.text === '') break;
      mkdirSync(dirname(log), { recursive: true });
      appendFileSync(log, chunk.text);
      for (const line of chunk.text.split('\n')) {
        const record = RunRecord.safeParse(safeJson(line));
        if (record.success) this.deps.onRecord(followed.runId, record.data);
      }
      if (chunk.nextOffset >= chunk.size) break;
    }
    if (live) this.settled.delete(followed.runId);
    else this.settled.add(followed.runId);
  }

  private queue(target: ClusterTarget): Promise<ClusterRun[]> {
    const key = JSON.stringify(target);
    const cached = this.queues.get(key);
    if (cached && Date.now() - cached.at < (this.deps.queueEveryMs ?? CLUSTER_REFRESH_SEC.default * 1000)) return cached.runs;
    const runs = this.deps.cluster(target).then((cluster) => cluster.listClusterRuns({}));
    runs.catch(() => this.queues.delete(key));
    this.queues.set(key, { at: Date.now(), runs });
    return runs;
  }

  private copied(runId: string): number {
    const log = this.deps.store.paths(runId).log;
    return existsSync(log) ? statSync(log).size : 0;
  }

  private save(): void {
    mkdirSync(dirname(this.deps.file), { recursive: true });
    writeFileAtomic(this.deps.file, JSON.stringify({ runs: [...this.followed.values()] }, null, 2) + '\n');
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
