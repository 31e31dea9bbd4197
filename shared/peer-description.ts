import { z } from 'zod';
import { HardwareSample } from './hardware-sample.js';
import { BackendChoice } from './trainer-protocol.js';

/** What a peer (this machine, or an agent on a cluster node) says about itself: the facts a user picks a machine by. */
export const PeerDescription = z.object({
  /** HPC Studio's version on the peer. */
  version: z.string().max(100),
  hostname: z.string().max(300),
  /** Node's `process.platform` and `process.arch`, e.g. `linux` / `x64`. */
  platform: z.string().max(50),
  arch: z.string().max(50),
  /** Logical CPU cores and the first core's model name. */
  cpus: z.number().int().nonnegative(),
  cpuModel: z.string().max(300),
  totalMemoryBytes: z.number().nonnegative(),
  nodeVersion: z.string().max(50),
  /** The backend the peer's trainer would train on, with why better ones were skipped; null when no trainer could start. */
  backend: BackendChoice.nullable(),
  /** Why `backend` is null: the trainer's failure, in its words. */
  backendProblem: z.string().max(2000).nullable(),
  /** The latest hardware reading: GPUs, CPU per core, memory, with live utilisation. */
  hardware: HardwareSample,
});
export type PeerDescription = z.infer<typeof PeerDescription>;
