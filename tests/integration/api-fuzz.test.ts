import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CHANNEL } from '../../electron/ipc-channel.js';
import { ipcServerChannel } from '../../electron/ipc-transport.js';
import { serveApi } from '../../host/api-server.js';
import { startWebServer, type WebServer } from '../../host/web/web-server.js';
import { apiMethods } from '../../shared/api-contract.js';
import { MAX_MESSAGE_BYTES } from '../../shared/rpc-protocol.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { InMemoryIpc } from '../support/in-memory-ipc.js';
import { createTestHost, ROOT } from '../support/studio-fixture.js';

/**
 * Both transports of the one API against 10,000 generated messages each that must all be
 * refused: not objects, server-bound responses and events (out of order), requests with bad ids,
 * unknown or hostile method names, real methods with wrongly typed params, and large ones. Every
 * message gets a schema error back, none reaches the service, the host keeps answering, and its
 * heap is flat afterwards. (Electron's IPC cannot run here: an in-memory pair stands in for it.)
 */
const MESSAGES = 10_000;
const METHODS = Object.keys(apiMethods);

function malformed(count: number, seed: number): unknown[] {
  const random = seededRandom(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const junk = (): unknown => pick([null, 0, -1, 1.5, 'x', '', true, [], [1, 'a'], { a: { b: [null] } }, 'y'.repeat(1 + Math.floor(random() * 5000))]);
  const makers: (() => unknown)[] = [
    () => junk(),
    () => ({ kind: 'response', id: Math.floor(random() * 1000), ok: true, result: junk() }),
    () => ({ kind: 'event', name: pick(['run-record', 'runs-changed', 'x']), payload: junk() }),
    () => ({ kind: 'request', id: pick(['1', -5, 2.5, null, 2 ** 60, {}]), method: pick(METHODS), params: {} }),
    () => ({ kind: 'request', id: Math.floor(random() * 1e6), method: pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x'.repeat(101), 'noSuchMethod']), params: {} }),
    // Every method's params are an object: these never pass, whichever method.
    () => ({ kind: 'request', id: Math.floor(random() * 1e6), method: pick(METHODS), params: pick([null, 7, 'params', [], [{}], true]) }),
    () => ({ kind: 'request', id: Math.floor(random() * 1e6), method: pick(METHODS), params: 'z'.repeat(100_000 + Math.floor(random() * 100_000)) }),
    () => ({ kind: pick(['REQUEST', '', 7, null]), id: 1, method: 'getInfo', params: {} }),
  ];
  return Array.from({ length: count }, () => pick(makers)());
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * The heap once garbage that is merely waiting has gone: a few full collections a moment apart,
 * as work queued by the last messages (deliveries, timers) lets go of them. What a leak holds stays.
 */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

interface Answer {
  kind: string;
  id: number;
  ok: boolean;
  error?: { code: string };
}

const host = createTestHost();
let server: WebServer;
const gc = collectGarbage();

beforeAll(async () => {
  server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: `${ROOT}/out/renderer`, service: host.service });
});
afterAll(async () => {
  await host.supervisor.stopAll();
  await server.close();
});

/** Sends every message and resolves with the answers once there is one per message. */
async function answersTo(send: (m: unknown) => void, onAnswer: (l: (a: Answer) => void) => void, messages: unknown[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  const all = new Promise<void>((resolve) => onAnswer((a) => answers.push(a) === messages.length && resolve()));
  for (const m of messages) send(m);
  await all;
  return answers;
}

function expectAllRefused(answers: Answer[]): void {
  expect(answers).toHaveLength(MESSAGES);
  const refusals = answers.filter((a) => a.kind === 'response' && a.ok === false && a.error?.code === 'invalid');
  expect(refusals).toHaveLength(MESSAGES);
  // None reached the service: nothing started, nothing written.
  expect(host.supervisor.activeRunId).toBeNull();
  expect(readdirSync(host.dataDir).filter((f) => f === 'runs').flatMap((f) => readdirSync(join(host.dataDir, f)))).toEqual([]);
}

describe('fuzzing the API', () => {
  it('over Electron IPC: 10,000 malformed messages, each refused with a schema error, heap flat', async () => {
    const fuzz = (seed: number) => {
      const ipc = new InMemoryIpc();
      serveApi(ipcServerChannel(ipc.ipcMain, ipc.webContents, (url) => url === ipc.frameUrl), host.service);
      const answers = answersTo(
        (m) => ipc.ipcRenderer.send(API_CHANNEL, m),
        (l) => ipc.ipcRenderer.on(API_CHANNEL, (_e, m) => l(m as Answer)),
        malformed(MESSAGES, seed),
      );
      return answers.finally(() => ipc.destroy());
    };
    // A first round warms the code paths up; then the heap must not grow over three more.
    expectAllRefused(await fuzz(1));
    const before = await settledHeap();
    for (const seed of [2, 3, 4]) expectAllRefused(await fuzz(seed));
    expect((await settledHeap()) - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('over WebSocket: 10,000 malformed frames, each refused; a frame over the size limit closes only that connection', async () => {
    const connect = async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers: { authorization: `Bearer ${server.token}` } });
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      return socket;
    };
    const socket = await connect();
    // Messages of one turn share a frame (an array); text that is not JSON is refused like the rest.
    const listen = (l: (a: Answer) => void) =>
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Answer | Answer[];
        for (const a of Array.isArray(frame) ? frame : [frame]) if (a.kind === 'response') l(a);
      });
    const messages = malformed(MESSAGES, 3).map((m, i) => (i % 50 === 0 ? `{not json ${i}` : JSON.stringify(m)));
    const before = await settledHeap();
    const answers = await answersTo((m) => socket.send(m as string), listen, messages);
    expectAllRefused(answers);
    expect((await settledHeap()) - before).toBeLessThan(32 * 1024 * 1024);

    const oversized = await connect();
    const closed = new Promise<number>((resolve) => oversized.once('close', (code) => resolve(code)));
    oversized.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    socket.close();

    const after = await connect();
    const info = await new Promise<Answer & { result?: { dataDir: string } }>((resolve) => {
      after.once('message', (data) => resolve(JSON.parse(data.toString())));
      after.send(JSON.stringify({ kind: 'request', id: 1, method: 'getInfo', params: {} }));
    });
    expect(info).toMatchObject({ kind: 'response', id: 1, ok: true, result: { dataDir: host.dataDir } });
    after.close();
  });
});
