import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../host/web/web-server.js';
import { createTestHost, ROOT } from '../support/studio-fixture.js';
import { connectWebSocket } from '../support/ws-client.js';

const host = createTestHost();
let server: WebServer;
let origin: string;

beforeAll(async () => {
  server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: `${ROOT}/out/renderer`, service: host.service });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

function http(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sessionCookie(): Promise<string> {
  const res = await http('POST', '/session', { origin, 'content-type': 'application/json' }, JSON.stringify({ token: server.token }));
  expect(res.status).toBe(204);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

describe('serve mode', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  it('serves the UI with a strict Content-Security-Policy', async () => {
    const res = await http('GET', '/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<div id="app">');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-(eval|inline)/);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await http('GET', '/', { host: `attacker.example:${server.port}` })).status).toBe(421);
    expect((await http('GET', '/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('trades only the right token for an HttpOnly, SameSite=Strict session cookie', async () => {
    const wrong = await http('POST', '/session', { origin }, JSON.stringify({ token: 'guess' }));
    expect(wrong.status).toBe(401);
    const foreign = await http('POST', '/session', { origin: 'http://attacker.example' }, JSON.stringify({ token: server.token }));
    expect(foreign.status).toBe(403);
    const ok = await http('POST', '/session', { origin }, JSON.stringify({ token: server.token }));
    expect(String(ok.headers['set-cookie'])).toMatch(/^hpc_session_\d+=[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/);
  });

  it('refuses the WebSocket without a session or token', async () => {
    await expect(connectWebSocket(server.port, {})).rejects.toThrow('HTTP 401');
    await expect(connectWebSocket(server.port, { authorization: 'Bearer wrong' })).rejects.toThrow('HTTP 401');
  });

  it('admits a page with its session cookie, but not from another origin or host', async () => {
    const cookie = await sessionCookie();
    const ok = await connectWebSocket(server.port, { cookie, origin });
    ok.socket.close();
    await expect(connectWebSocket(server.port, { cookie, origin: 'http://attacker.example' })).rejects.toThrow('HTTP 403');
    await expect(connectWebSocket(server.port, { cookie, origin, host: `attacker.example:${server.port}` })).rejects.toThrow('HTTP 421');
  });

  it('says clearly when the port is busy', async () => {
    await expect(
      startWebServer({ host: '127.0.0.1', port: server.port, uiRoot: `${ROOT}/out/renderer`, service: host.service }),
    ).rejects.toThrow(`port ${server.port} is busy on 127.0.0.1`);
  });
});
