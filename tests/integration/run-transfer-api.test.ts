import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../shared/api-client.js';
import { MAX_TRANSFER_BASE64 } from '../../shared/run-export.js';
import type { MessageChannel, RpcRequest } from '../../shared/rpc-protocol.js';
import { serveApi } from '../../host/api-server.js';
import { startWebServer, type WebServer } from '../../host/web/web-server.js';
import { API_CHANNEL } from '../../electron/ipc-channel.js';
import { ipcServerChannel } from '../../electron/ipc-transport.js';
import { InMemoryIpc } from '../support/in-memory-ipc.js';
import { createTestHost, ROOT, smallRun } from '../support/studio-fixture.js';
import { connectWebSocket } from '../support/ws-client.js';

const host = createTestHost();
let server: WebServer;
let runId = '';

/** A real CNN run: its checkpoint (weights and Adam moments, 2.7 MB) is what makes archives a few MB. */
beforeAll(async () => {
  server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: `${ROOT}/out/renderer`, service: host.service });
  ({ runId } = await host.service.startRun({ config: smallRun({ model: 'cnn', epochs: 1, limit: 300, batchSize: 64 }) }));
  await host.supervisor.idle();
}, 120_000);
afterAll(async () => {
  await host.supervisor.stopAll();
  await server.close();
});

interface Transport {
  client: ApiClient;
  raw: MessageChannel<unknown, RpcRequest>;
  close(): void;
}

const transports: Record<string, () => Promise<Transport>> = {
  websocket: async () => {
    const { channel, socket } = await connectWebSocket(server.port, { authorization: `Bearer ${server.token}` });
    return { client: new ApiClient(channel), raw: channel, close: () => socket.close() };
  },
  'electron ipc (in-memory pair, structured clone)': async () => {
    const ipc = new InMemoryIpc();
    serveApi(ipcServerChannel(ipc.ipcMain, ipc.webContents, (url) => url === ipc.frameUrl), host.service);
    const channel: MessageChannel<unknown, RpcRequest> = {
      send: (m) => ipc.ipcRenderer.send(API_CHANNEL, m),
      onMessage: (listener) => {
        const handler = (_event: unknown, m: unknown) => listener(m);
        ipc.ipcRenderer.on(API_CHANNEL, handler);
        return () => ipc.ipcRenderer.removeListener(API_CHANNEL, handler);
      },
    };
    return { client: new ApiClient(channel), raw: channel, close: () => ipc.destroy() };
  },
};

const runFile = (path: string) => readFileSync(join(host.dataDir, 'runs', runId, path));

describe.each(Object.entries(transports))('exportRun / importRun over %s', (_name, connect) => {
  let t: Transport;
  beforeAll(async () => (t = await connect()));
  afterAll(() => t.close());

  it('carries a CNN run out as an archive and back in, byte-identical', async () => {
    const before = { log: runFile('run.log.jsonl'), config: runFile('config.json'), checkpoint: runFile('checkpoints/latest.ckpt') };
    const detail = await t.client.api.getRun({ runId });
    const file = await t.client.api.exportRun({ runId, format: 'archive' });
    expect(file).toMatchObject({ fileName: `${runId}.hpcrun`, mimeType: 'application/gzip' });
    expect(Buffer.from(file.base64, 'base64').length).toBeGreaterThan(2_000_000);

    await expect(t.client.api.importRun({ fileName: file.fileName, base64: file.base64 })).rejects.toThrow(`${runId}.hpcrun: archive: run ${runId} already exists here`);
    await t.client.api.deleteRun({ runId });
    expect(await t.client.api.importRun({ fileName: file.fileName, base64: file.base64 })).toEqual({ runId });
    expect(runFile('run.log.jsonl').equals(before.log)).toBe(true);
    expect(runFile('config.json').equals(before.config)).toBe(true);
    expect(runFile('checkpoints/latest.ckpt').equals(before.checkpoint)).toBe(true);
    expect((await t.client.api.getRun({ runId })).records).toEqual(detail.records);
  });

  it('exports the series as CSV, JSON and TensorBoard events', async () => {
    const csv = await t.client.api.exportRun({ runId, format: 'csv', series: 'epoch' });
    expect(csv).toMatchObject({ fileName: `${runId}-epoch.csv`, mimeType: 'text/csv' });
    expect(Buffer.from(csv.base64, 'base64').toString()).toMatch(/^epoch,step,time,relativeTimeSec,trainLoss,trainAccuracy,valLoss,valAccuracy\n1,/);
    expect(JSON.parse(Buffer.from((await t.client.api.exportRun({ runId, format: 'json' })).base64, 'base64').toString())).toMatchObject({ runId });
    expect((await t.client.api.exportRun({ runId, format: 'tfevents' })).fileName).toMatch(/^events\.out\.tfevents\.\d+\./);
  });

  it('rejects an unknown format and a file over the size limit, naming the field and the limit', async () => {
    await expect(t.client.api.exportRun({ runId, format: 'xml' as 'csv' })).rejects.toThrow('format: must be one of archive, csv, json, tfevents');
    const answer = new Promise<unknown>((resolve) => {
      const off = t.raw.onMessage((m) => {
        if ((m as { id?: number }).id !== 9001) return;
        off();
        resolve(m);
      });
    });
    // Past the limit but within what the transport carries: the server itself answers, naming the limit.
    t.raw.send({ kind: 'request', id: 9001, method: 'importRun', params: { fileName: 'big.hpcrun', base64: 'A'.repeat(MAX_TRANSFER_BASE64 + 4) } });
    expect(await answer).toMatchObject({
      ok: false,
      error: { code: 'invalid', fields: [{ field: 'base64', message: expect.stringContaining('larger than the 16 MiB the app can carry') }] },
    });
  });
});
