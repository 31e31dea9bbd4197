import { arch, cpus, hostname, platform, totalmem } from 'node:os';
import type { HardwareSample } from '../shared/hardware-sample.js';
import type { PeerDescription } from '../shared/peer-description.js';
import type { BackendChoice } from '../shared/trainer-protocol.js';

export interface PeerDescriberDeps {
  version: string;
  /** The backend a trainer here would use (the running trainer's, else a probe's). */
  backend: () => Promise<BackendChoice>;
  /** The monitor's latest reading, or a fresh one when it has none yet. */
  hardware: () => Promise<HardwareSample>;
}

/** `describePeer`: this machine's facts, its trainer's backend and its live hardware, as a peer list shows them. */
export class PeerDescriber {
  constructor(private readonly deps: PeerDescriberDeps) {}

  async describe(): Promise<PeerDescription> {
    const [backend, hardware] = await Promise.all([
      this.deps.backend().then(
        (choice) => ({ backend: choice, backendProblem: null }),
        (error: unknown) => ({ backend: null, backendProblem: (error instanceof Error ? error.message : String(error)).slice(0, 2000) }),
      ),
      this.deps.hardware(),
    ]);
    const cores = cpus();
    return {
      version: this.deps.version,
      hostname: hostname(),
      platform: platform(),
      arch: arch(),
      cpus: cores.length,
      cpuModel: cores[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: totalmem(),
      nodeVersion: process.version,
      ...backend,
      hardware,
    };
  }
}
