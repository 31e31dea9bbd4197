import type { ClusterTarget } from '../../shared/cluster-job.js';
import type { ApiCheckedParams, ApiResult } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { SlurmJobs } from './slurm-jobs.js';
import { readClusterStatus, SlurmUnavailable, type RunSlurmCommand } from './slurm-status.js';

/** The API's methods about a Slurm cluster; each takes the cluster it is about as `target`. */
export const CLUSTER_METHODS = [
  'getClusterStatus',
  'previewClusterJob',
  'submitClusterJob',
  'listClusterRuns',
  'cancelClusterJob',
  'requeueClusterJob',
  'resumeClusterRun',
  'readClusterRunLog',
  'readClusterJobOutput',
] as const;
export type ClusterMethod = (typeof CLUSTER_METHODS)[number];

/** One cluster's side of those methods, its target already chosen: this machine's Slurm, or an agent's on a login node. */
export type ClusterAccess = { [M in ClusterMethod]: (params: Omit<ApiCheckedParams<M>, 'target'>) => Promise<ApiResult<M>> };

/** Finds (connecting if need be) the cluster a call names. */
export type ClusterAccessFor = (target: ClusterTarget) => Promise<ClusterAccess>;

/** The cluster this host is a login node of, through Slurm's commands here. */
export function localClusterAccess(slurm: RunSlurmCommand, jobs: SlurmJobs): ClusterAccess {
  return {
    getClusterStatus: async () => {
      try {
        return { kind: 'status', status: await readClusterStatus(slurm) };
      } catch (error) {
        if (error instanceof SlurmUnavailable) return { kind: 'unavailable', reason: error.kind, message: error.message };
        throw new ApiError({ code: 'internal', message: (error as Error).message });
      }
    },
    previewClusterJob: async ({ spec }) => jobs.preview(spec),
    submitClusterJob: ({ spec, clusterRunId }) => jobs.submit(spec, clusterRunId),
    listClusterRuns: () => jobs.list(),
    cancelClusterJob: ({ clusterRunId }) => jobs.cancel(clusterRunId),
    requeueClusterJob: ({ clusterRunId }) => jobs.requeue(clusterRunId),
    resumeClusterRun: ({ clusterRunId }) => jobs.resume(clusterRunId),
    readClusterRunLog: async ({ clusterRunId, offset }) => jobs.readRunLog(clusterRunId, offset),
    readClusterJobOutput: async ({ clusterRunId, jobId, offset }) => jobs.readJobOutput(clusterRunId, jobId, offset),
  };
}
