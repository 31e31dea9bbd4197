import { describe, expect, it } from 'vitest';
import { guardWebContents, hardenSession, type SessionLike, type WebContentsLike } from '../../electron/web-hardening.js';

// Electron cannot be launched on these machines: stand-ins for Session and WebContents record the
// handlers the shell installs, and the tests call them as Electron would.

const APP_PAGE = 'file:///opt/HPC%20Studio/resources/app.asar/out/renderer/index.html';

function fakeSession() {
  const handlers: {
    request?: Parameters<SessionLike['setPermissionRequestHandler']>[0];
    check?: Parameters<SessionLike['setPermissionCheckHandler']>[0];
    headers?: Parameters<SessionLike['webRequest']['onHeadersReceived']>[0];
  } = {};
  const session: SessionLike = {
    setPermissionRequestHandler: (h) => (handlers.request = h),
    setPermissionCheckHandler: (h) => (handlers.check = h),
    webRequest: { onHeadersReceived: (l) => (handlers.headers = l) },
  };
  return { session, handlers };
}

function fakeContents() {
  const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  const contents: WebContentsLike = {
    on: ((event: string, l: (event: { preventDefault(): void }, url?: string) => void) => listeners.set(event, l)) as unknown as WebContentsLike['on'],
    setWindowOpenHandler: (h) => (openHandler = h),
  };
  const fire = (event: string, url?: string) => {
    let prevented = false;
    listeners.get(event)!({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }) };
}

describe('the desktop window\'s web security', () => {
  it('refuses every permission request and check', () => {
    const { session, handlers } = fakeSession();
    hardenSession(session, "default-src 'none'");
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fileSystem']) {
      let granted: boolean | undefined;
      handlers.request!({}, permission, (g) => (granted = g));
      expect(granted, permission).toBe(false);
      expect(handlers.check!({}, permission), permission).toBe(false);
    }
  });

  it('puts the app\'s policy on every response, replacing any other', () => {
    const { session, handlers } = fakeSession();
    hardenSession(session, "default-src 'none'; script-src 'self'");
    let headers: Record<string, string[] | string> = {};
    handlers.headers!({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': ["script-src *"] } }, (r) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': ["default-src 'none'; script-src 'self'"] });
  });

  it('stays on the app\'s own page', () => {
    const { contents, fire } = fakeContents();
    const refused: string[] = [];
    guardWebContents(contents, (url) => url === APP_PAGE, () => {}, (why) => refused.push(why));
    expect(fire('will-navigate', APP_PAGE)).toBe(false);
    expect(fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(refused).toEqual(['refused to navigate to https://evil.example/', 'refused to navigate to file:///etc/passwd']);
  });

  it('opens no window: http(s) links go to the system browser, anything else nowhere', () => {
    const { contents, open } = fakeContents();
    const opened: string[] = [];
    guardWebContents(contents, () => false, (url) => opened.push(url), () => {});
    for (const url of ['https://www.tensorflow.org/js', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@example.org/', 'smb://share/x']) {
      expect(open(url)).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://www.tensorflow.org/js']);
  });

  it('attaches no <webview>', () => {
    const { contents, fire } = fakeContents();
    guardWebContents(contents, () => true, () => {}, () => {});
    expect(fire('will-attach-webview')).toBe(true);
  });
});
