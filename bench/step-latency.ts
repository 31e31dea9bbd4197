import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { createStudioHost } from '../host/studio-host.js';
import { packageRoot } from '../host/package-root.js';
import { forkTrainer } from '../host/trainer-process.js';
import { startWebServer } from '../host/web/web-server.js';
import { printReport, percentile } from './bench-report.js';

/**
 * Time from a trainer step to a WebSocket client (standing in for the renderer) receiving it,
 * through the real path: trainer child → supervisor → run log → API server → WebSocket.
 * Baseline, same run: a bare loopback WebSocket carrying a same-size message one way.
 * Trainer and client share this machine's clock (Date.now, ms resolution, so figures are ±1 ms).
 */
const STEPS = Number(process.env.BENCH_STEPS ?? 400);

async function appLatency(): Promise<{ samples: number[]; bytes: number }> {
  const root = packageRoot();
  const host = createStudioHost({
    dataDir: mkdtempSync(join(tmpdir(), 'bench-latency-')),
    version: 'bench',
    spawnTrainer: forkTrainer(join(root, 'dist', 'trainer', 'main.js')),
  });
  const server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: join(root, 'out', 'renderer'), service: host.service });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers: { authorization: `Bearer ${server.token}` } });
  await new Promise((r) => ws.once('open', r));
  const samples: number[] = [];
  let bytes = 0;
  let stopping = false;
  type Message = { kind: string; payload?: { runId: string; record?: { type: string; time: number } } };
  ws.on('message', (data) => {
    const received = Date.now();
    // A frame holds one message, or all the messages of one turn of the server's event loop.
    const frame = JSON.parse(data.toString()) as Message | Message[];
    for (const m of Array.isArray(frame) ? frame : [frame]) {
      if (m.kind !== 'event' || m.payload?.record?.type !== 'step') continue;
      samples.push(received - m.payload.record.time);
      bytes = JSON.stringify(m).length;
      if (samples.length >= STEPS && !stopping) {
        stopping = true;
        ws.send(JSON.stringify({ kind: 'request', id: 2, method: 'stopRun', params: { runId: m.payload.runId } }));
      }
    }
  });
  const config = {
    dataset: { kind: 'fashion-mnist', dir: '/usr/share/datasets/fashion-mnist' },
    model: 'mlp', epochs: 50, batchSize: 32, lr: 0.001, optimizer: 'adam', seed: 1, limit: 4000,
  };
  ws.send(JSON.stringify({ kind: 'request', id: 1, method: 'startRun', params: { config } }));
  while (samples.length < STEPS || host.supervisor.activeRunId) await new Promise((r) => setTimeout(r, 100));
  ws.close();
  await server.close();
  return { samples: samples.slice(20), bytes };
}

async function bareLatency(bytes: number, count: number): Promise<number[]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const samples: number[] = [];
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  client.on('message', (data) => samples.push(performance.now() - Number(JSON.parse(data.toString()).t)));
  const server = await new Promise<WebSocket>((r) => wss.once('connection', r));
  await new Promise((r) => client.once('open', r));
  const padding = 'x'.repeat(Math.max(0, bytes - 40));
  for (let i = 0; i < count; i++) {
    server.send(JSON.stringify({ t: performance.now(), padding }));
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 50));
  client.close();
  wss.close();
  return samples;
}

const app = await appLatency();
const bare = await bareLatency(app.bytes, app.samples.length);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50Ms: +percentile(s, 50).toFixed(3), p99Ms: +percentile(s, 99).toFixed(3), maxMs: +s.at(-1)!.toFixed(3) };
};
printReport('step-to-client latency over WebSocket', {
  messageBytes: app.bytes,
  app: { path: 'trainer → supervisor → log → API → WebSocket', ...stats(app.samples) },
  baseline: { path: 'bare loopback WebSocket, same message size', ...stats(bare) },
});
