import { arch, cpus, hostname, platform, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { connectAgent, measureLatency } from '../../host/agent/agent-client.js';
import { packageVersion } from '../../host/package-root.js';
import { BACKEND_NAMES } from '../../shared/trainer-protocol.js';
import { startAgent } from '../support/agent-process.js';

const VERSION = packageVersion();

describe('a peer through its agent', () => {
  it("answers describePeer with this machine's facts, its trainer's backend and a live hardware reading", async () => {
    const agent = await startAgent();
    try {
      const connection = await connectAgent({ url: agent.listening.url, token: agent.listening.token!, version: VERSION });
      const peer = await connection.client.api.describePeer({});
      expect(peer).toMatchObject({
        version: VERSION,
        hostname: hostname(),
        platform: platform(),
        arch: arch(),
        cpus: cpus().length,
        totalMemoryBytes: totalmem(),
        nodeVersion: process.version,
        backendProblem: null,
      });
      expect(BACKEND_NAMES).toContain(peer.backend?.name);
      expect(peer.hardware.cpu.perCorePercent).toHaveLength(cpus().length);
      expect(peer.hardware.memory.totalBytes).toBeGreaterThan(0);
      expect(peer.hardware.gpuStatus.available || peer.hardware.gpuStatus.reason !== null).toBe(true);

      // The backend is probed once: asking again starts no trainer and answers the same.
      const started = Date.now();
      expect((await connection.client.api.describePeer({})).backend).toEqual(peer.backend);
      expect(Date.now() - started).toBeLessThan(1000);

      const latencyMs = await measureLatency(connection.client);
      expect(latencyMs).toBeGreaterThan(0);
      expect(latencyMs).toBeLessThan(1000);
      connection.close();
    } finally {
      await agent.stop();
    }
  });

  it('says why no backend could be had, instead of failing the whole description', async () => {
    const agent = await startAgent([], undefined, { HPC_STUDIO_BACKEND: 'abacus' });
    try {
      const connection = await connectAgent({ url: agent.listening.url, token: agent.listening.token!, version: VERSION });
      const peer = await connection.client.api.describePeer({});
      expect(peer.backend).toBeNull();
      expect(peer.backendProblem).toMatch(/the trainer exited with code 1 before reporting its backend: .*HPC_STUDIO_BACKEND must be one of/);
      expect(peer.hostname).toBe(hostname());
      connection.close();
    } finally {
      await agent.stop();
    }
  });
});
