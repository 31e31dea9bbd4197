import { z } from 'zod';

/** What `hpc-studio cluster status --json` prints and the Cluster panel shows: a Slurm cluster at one moment. */
export const ClusterStatus = z.object({
  /** The Slurm release the commands reported, e.g. `22.05.8`. */
  slurmVersion: z.string(),
  partitions: z.array(z.object({ name: z.string(), state: z.string(), nodes: z.array(z.string()), default: z.boolean() })),
  nodes: z.array(
    z.object({
      name: z.string(),
      /** Slurm's state, lower case, flags after a `+` (`idle`, `mixed`, `down+drain`). */
      state: z.string(),
      cpus: z.number().int(),
      memoryMB: z.number().int(),
      /** GPUs the node declares in its Gres (`gpu:a100:4` → 4). */
      gpus: z.number().int(),
      /** Load average as Slurm reads it (its cpu_load ÷ 100). */
      load: z.number().nullable(),
      partitions: z.array(z.string()),
    }),
  ),
  jobs: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      user: z.string(),
      state: z.string(),
      /** Why a pending job waits (`Resources`, `Priority`, `PartitionConfig`…), `None` otherwise. */
      reason: z.string(),
      /** A pending job's place in its partition's queue by Slurm's priority (1: next); null once it runs. */
      position: z.number().int().positive().nullable(),
      nodes: z.string(),
      partition: z.string(),
    }),
  ),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;

/** How often the Cluster panel asks, in seconds: never more often than a busy slurmctld should bear. */
export const CLUSTER_REFRESH_SEC = { choices: [5, 10, 30, 60], default: 10 } as const;

/** The cluster, or why none answers: its commands are not installed here, or its controller is down. */
export const ClusterStatusResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('status'), status: ClusterStatus }),
  z.object({ kind: z.literal('unavailable'), reason: z.enum(['missing', 'controller']), message: z.string() }),
]);
export type ClusterStatusResult = z.infer<typeof ClusterStatusResult>;
