import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '../../host/agent/agent-client.js';
import { packageVersion } from '../../host/package-root.js';
import { ApiSocketRefused, connectApiSocket } from '../../host/web/api-socket.js';
import { VERSION_HEADER } from '../../shared/agent-protocol.js';
import { MAX_MESSAGE_BYTES } from '../../shared/rpc-protocol.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';

const VERSION = packageVersion();
let agent: AgentProcess;
let token: string;
let base: string;

beforeAll(async () => {
  agent = await startAgent();
  token = agent.listening.token!;
  base = agent.listening.url;
});
afterAll(async () => {
  const ended = await agent.stop();
  expect(ended.code).toBe(0);
});

const good = () => ({ authorization: `Bearer ${token}`, [VERSION_HEADER]: VERSION });

/** The agent's answer to an upgrade with these headers: 101 (then closed), or its refusal. */
async function upgrade(headers: Record<string, string>, path = '/api'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  try {
    const { socket } = await connectApiSocket(`${base}${path}`, headers);
    socket.close();
    return { status: 101, body: '', headers: {} };
  } catch (error) {
    if (!(error instanceof ApiSocketRefused)) throw error;
    return { status: error.status, body: error.body, headers: error.headers };
  }
}

function plainGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    request({ host: url.hostname, port: url.port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/** A good client still gets answers: whatever came before did not take the agent down. */
async function stillServing(): Promise<void> {
  const connection = await connectAgent({ url: base, token, version: VERSION });
  expect((await connection.client.api.getInfo({})).version).toBe(VERSION);
  connection.close();
}

describe('agent security', () => {
  it('refuses a missing or wrong token with a bare 401', async () => {
    for (const headers of <Record<string, string>[]>[
      { [VERSION_HEADER]: VERSION },
      { authorization: 'Bearer wrong', [VERSION_HEADER]: VERSION },
      { authorization: `Bearer ${token}x`, [VERSION_HEADER]: VERSION },
      { authorization: token, [VERSION_HEADER]: VERSION },
      // Credentials are checked before the version, so an outsider learns nothing, not even that.
      { authorization: 'Bearer wrong' },
    ]) {
      expect(await upgrade(headers)).toMatchObject({ status: 401, body: '' });
    }
    expect(await upgrade(good())).toMatchObject({ status: 101 });
  });

  it('refuses browsers outright, even with the token', async () => {
    expect((await upgrade({ ...good(), origin: base.replace('ws:', 'http:') })).status).toBe(403);
    expect((await upgrade({ ...good(), origin: 'http://attacker.example' })).status).toBe(403);
  });

  it('refuses another version with 426 naming both', async () => {
    const old = await upgrade({ authorization: `Bearer ${token}`, [VERSION_HEADER]: '0.0.1' });
    expect(old.status).toBe(426);
    expect(old.headers[VERSION_HEADER]).toBe(VERSION);
    expect(old.body).toContain(`this agent runs HPC Studio ${VERSION}; the client sent HPC Studio 0.0.1`);
    const none = await upgrade({ authorization: `Bearer ${token}` });
    expect(none.status).toBe(426);
    expect(none.body).toContain('the client sent no version');
  });

  it('serves nothing but the API socket', async () => {
    expect((await upgrade(good(), '/')).status).toBe(404);
    expect((await upgrade(good(), '/session')).status).toBe(404);
    expect(await plainGet('/')).toBe(404);
    expect(await plainGet('/api')).toBe(404);
    expect(await plainGet('/index.html')).toBe(404);
  });

  it('closes only the connection that sends an oversize frame', async () => {
    const bystander = await connectAgent({ url: base, token, version: VERSION });
    const { socket } = await connectApiSocket(`${base}/api`, good());
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ kind: 'request', id: 1, method: 'getInfo', params: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) } }));
    expect(await closed).toBe(1009);
    expect((await bystander.client.api.getInfo({})).version).toBe(VERSION);
    bystander.close();
    await stillServing();
  });

  it('answers 1,000 malformed messages with schema errors and keeps serving', async () => {
    const { socket } = await connectApiSocket(`${base}/api`, good());
    const random = seededRandom(11);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const answers: { ok: boolean; error?: { code: string } }[] = [];
    socket.on('message', (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as unknown;
      for (const m of Array.isArray(frame) ? frame : [frame]) if ((m as { kind?: string }).kind === 'response') answers.push(m);
    });
    const frames: (string | Buffer)[] = Array.from({ length: 1000 }, (_, i) =>
      pick<() => string | Buffer>([
        () => '{"kind":"request",',
        () => Buffer.from([0xff, 0x00, i % 256]),
        () => JSON.stringify(pick([null, 7, 'x', [], { a: 1 }])),
        () => JSON.stringify({ kind: 'request', id: i, method: pick(['__proto__', 'constructor', 'noSuchMethod', 'x'.repeat(200)]), params: {} }),
        () => JSON.stringify({ kind: 'request', id: i, method: pick(['getRun', 'startRun', 'stopRun', 'setSampleInterval']), params: pick([null, 'p', [], { runId: 5 }, { intervalMs: -1 }, { config: {} }]) }),
        () => JSON.stringify({ kind: 'request', id: pick([-1, 1.5, '2', null]), method: 'getInfo', params: {} }),
      ])(),
    );
    for (const frame of frames) socket.send(frame);
    await expect.poll(() => answers.length, { timeout: 20_000 }).toBe(1000);
    expect(answers.every((a) => !a.ok && a.error?.code === 'invalid')).toBe(true);
    socket.close();
    await stillServing();
  });

  it('turns refusals into errors that say what is wrong', async () => {
    await expect(connectAgent({ url: base, token: 'wrong', version: VERSION })).rejects.toThrow(`agent at ${base}: wrong token`);
    await expect(connectAgent({ url: `${base}/api`, token, version: '0.0.1' })).rejects.toThrow(
      `agent at ${base}: runs HPC Studio ${VERSION}, this app is 0.0.1`,
    );
    await expect(connectAgent({ url: 'http://example.org', token, version: VERSION })).rejects.toThrow('agent URL: must look like ws://HOST:PORT');

    const closedPort = await freePort();
    await expect(connectAgent({ url: `ws://127.0.0.1:${closedPort}`, token, version: VERSION })).rejects.toThrow(
      `agent at ws://127.0.0.1:${closedPort}: not reachable (nothing listens on that port)`,
    );

    // A host that accepts the connection and never answers, as a hung node would.
    const held: Socket[] = [];
    const silent = createServer((s) => void held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    await expect(connectAgent({ url: `ws://127.0.0.1:${port}`, token, version: VERSION, timeoutMs: 300 })).rejects.toThrow(
      `agent at ws://127.0.0.1:${port}: not reachable (no answer within 0.3 s)`,
    );
    for (const s of held) s.destroy();
    silent.close();
  });

  it('never writes the token into its log', () => {
    expect(agent.stderr()).toMatch(/refused 127\.0\.0\.1: wrong token/);
    expect(agent.stderr()).not.toContain(token);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
