import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../shared/api-client.js';
import type { RunRecord } from '../../shared/run-record.js';
import { ApiError, type MessageChannel, type RpcRequest } from '../../shared/rpc-protocol.js';
import { serveApi } from '../../host/api-server.js';
import { startWebServer, type WebServer } from '../../host/web/web-server.js';
import { ipcServerChannel } from '../../electron/ipc-transport.js';
import { InMemoryIpc } from '../support/in-memory-ipc.js';
import { preloadBridge } from '../support/preload-electron.js';
import { createTestHost, ROOT, smallRun, waitFor } from '../support/studio-fixture.js';
import { connectWebSocket } from '../support/ws-client.js';

// Electron cannot run here: the real preload runs against a stand-in `electron` module
// (tests/support/preload-electron.ts) over an in-memory IPC pair.
vi.mock('electron', () => import('../support/preload-electron.js'));

interface Transport {
  client: ApiClient;
  /** Sends an envelope as is, bypassing the client's own validation. */
  raw: MessageChannel<unknown, RpcRequest>;
  close(): void;
}

type PreloadApi = { send(m: unknown): void; onMessage(l: (m: unknown) => void): () => void };

const host = createTestHost();
let server: WebServer;

beforeAll(async () => {
  server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: `${ROOT}/out/renderer`, service: host.service });
});
afterAll(async () => {
  await host.supervisor.stopAll();
  await server.close();
});

const transports: Record<string, () => Promise<Transport>> = {
  websocket: async () => {
    const { channel, socket } = await connectWebSocket(server.port, { authorization: `Bearer ${server.token}` });
    return { client: new ApiClient(channel), raw: channel, close: () => socket.close() };
  },
  'electron ipc (in-memory pair)': async () => {
    const ipc = new InMemoryIpc();
    preloadBridge.ipc = ipc;
    await import('../../electron/preload.js');
    serveApi(ipcServerChannel(ipc.ipcMain, ipc.webContents, (url) => url === ipc.frameUrl), host.service);
    const preload = preloadBridge.exposed.hpcStudio as PreloadApi;
    const channel: MessageChannel<unknown, RpcRequest> = { send: (m) => preload.send(m), onMessage: (l) => preload.onMessage(l) };
    return { client: new ApiClient(channel), raw: channel, close: () => ipc.destroy() };
  },
};

describe.each(Object.entries(transports))('the API over %s', (_name, connect) => {
  let t: Transport;
  const records: RunRecord[] = [];
  beforeAll(async () => {
    t = await connect();
    t.client.on('run-record', ({ record }) => records.push(record));
  });
  afterAll(() => t.close());

  it('answers getInfo with the data directory and no active run', async () => {
    const info = await t.client.api.getInfo({});
    expect(info).toMatchObject({ dataDir: host.dataDir, activeRunId: null });
  });

  /** Sends an envelope as is and resolves with the response carrying `id`. */
  function rawCall(id: number, envelope: Record<string, unknown>): Promise<unknown> {
    const answer = new Promise<unknown>((resolve) => {
      const off = t.raw.onMessage((m) => {
        if ((m as { id?: number }).id === id) {
          off();
          resolve(m);
        }
      });
    });
    t.raw.send({ id, ...envelope } as unknown as RpcRequest);
    return answer;
  }

  it('rejects a malformed request with a schema error naming the field', async () => {
    expect(await rawCall(4242, { kind: 'request', method: 'startRun', params: { config: { ...smallRun(), lr: -1 } } })).toMatchObject({
      ok: false,
      error: { code: 'invalid', fields: [{ field: 'lr', message: 'lr: must be a finite number > 0 and ≤ 10' }] },
    });
  });

  it('rejects an unknown method and a non-request without crashing', async () => {
    expect(await rawCall(4243, { kind: 'request', method: 'formatDisk', params: {} })).toMatchObject({
      ok: false,
      error: { code: 'invalid', message: expect.stringMatching(/^method: must be one of getInfo, listRuns/) },
    });
    expect(await rawCall(4244, { kind: 'banana' })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect((await t.client.api.getInfo({})).activeRunId).toBeNull();
  });

  it('rejects a sampling rate outside 1–20 Hz, naming the field', async () => {
    expect(await rawCall(4245, { kind: 'request', method: 'setSampleInterval', params: { intervalMs: 10 } })).toMatchObject({
      ok: false,
      error: { code: 'invalid', fields: [{ field: 'intervalMs', message: 'intervalMs: must be an integer from 50 to 1000 ms (1–20 Hz)' }] },
    });
  });

  it('starts a run, streams its steps, applies a live LR change, stops, resumes and deletes it', async () => {
    const { runId } = await t.client.api.startRun({ config: smallRun({ epochs: 3 }) });
    await waitFor('a few steps', () => records.filter((r) => r.type === 'step').length >= 5);
    await expect(t.client.api.startRun({ config: smallRun() })).rejects.toThrow(new RegExp(`run ${runId} is already training`));

    await t.client.api.setHyperparams({ runId, change: { lr: 0.0005 } });
    const applied = await waitFor('the LR change', () => records.find((r) => r.type === 'hyperparams'));
    const after = await waitFor('a step after the change', () =>
      records.find((r) => r.type === 'step' && applied.type === 'hyperparams' && r.step >= applied.step),
    );
    expect(after).toMatchObject({ lr: 0.0005 });

    await t.client.api.stopRun({ runId });
    const stopped = (await t.client.api.listRuns({})).find((r) => r.id === runId);
    expect(stopped).toMatchObject({ status: 'stopped', resumable: true });
    const stoppedAt = stopped!.step;

    await t.client.api.resumeRun({ runId });
    await waitFor('the resumed run to finish', () => records.some((r) => r.type === 'done'), 60_000);
    await host.supervisor.idle();
    const detail = await t.client.api.getRun({ runId });
    expect(detail.summary).toMatchObject({ status: 'done' });
    expect(detail.summary.testAccuracy).toBeGreaterThan(0.5);
    expect(detail.records).toContainEqual(expect.objectContaining({ type: 'hyperparams-requested', change: { lr: 0.0005 } }));
    expect(detail.records).toContainEqual(expect.objectContaining({ type: 'resume', fromStep: stoppedAt }));
    expect(detail.lastStep?.step).toBe(detail.summary.step);
    // The loss curve over the transport: one point per step, the superseded tail gone.
    const loss = await t.client.api.getSeriesWindow({ runId, metrics: ['loss', 'valLoss'], axis: 'step', buckets: 4096 });
    const steps = loss.lines[0]!.points.filter((_, i) => i % 2 === 0);
    expect(steps).toEqual(Array.from({ length: detail.summary.step }, (_, i) => i + 1));
    expect(loss.lines[1]!.rawCount).toBe(3);
    expect(await rawCall(4247, { kind: 'request', method: 'getSeriesWindow', params: { runId, metrics: ['loss'], axis: 'step', buckets: 1 } })).toMatchObject({
      ok: false,
      error: { fields: [{ field: 'buckets', message: 'buckets: must be an integer from 16 to 8192' }] },
    });

    expect(await t.client.api.setRunMeta({ runId, meta: { tags: ['baseline'], note: 'first try' } })).toEqual({ tags: ['baseline'], note: 'first try', archived: false });
    await t.client.api.setRunMeta({ runId, meta: { archived: true } });
    expect((await t.client.api.listRuns({})).find((r) => r.id === runId)?.meta).toEqual({ tags: ['baseline'], note: 'first try', archived: true });
    expect(await rawCall(4246, { kind: 'request', method: 'setRunMeta', params: { runId, meta: { tags: [''] } } })).toMatchObject({
      ok: false,
      error: { fields: [{ field: 'tags.0', message: 'tags.0: a tag cannot be empty' }] },
    });

    await t.client.api.deleteRun({ runId });
    await expect(t.client.api.getRun({ runId })).rejects.toBeInstanceOf(ApiError);
    records.length = 0;
  });
});

describe('the IPC transport', () => {
  it('drops messages from a frame that is not the app page', async () => {
    const ipc = new InMemoryIpc();
    const rejected: string[] = [];
    serveApi(ipcServerChannel(ipc.ipcMain, ipc.webContents, (url) => url === ipc.frameUrl, (why) => rejected.push(why)), host.service);
    const replies: unknown[] = [];
    ipc.ipcRenderer.on('hpc-studio:api', (_e, m) => replies.push(m));
    ipc.ipcRenderer.send('hpc-studio:api', { kind: 'request', id: 1, method: 'listRuns', params: {} }, { frameUrl: 'https://evil.example/' });
    await waitFor('the rejection', () => rejected.length > 0);
    expect(rejected[0]).toMatch(/untrusted frame: https:\/\/evil\.example/);
    expect(replies).toEqual([]);
  });
});
