import { externalUrl } from './external-links.js';

type PermissionCallback = (granted: boolean) => void;

/** The slice of Electron's `Session` the hardening touches. */
export interface SessionLike {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: PermissionCallback) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders: Record<string, string[] | string> }) => void,
      ) => void,
    ): void;
  };
}

/** The slice of `WebContents` the guards hook. */
export interface WebContentsLike {
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * Every permission (camera, notifications from the page, geolocation…) asked for or checked is
 * refused, and every response carries the app's Content-Security-Policy.
 */
export function hardenSession(session: SessionLike, contentSecurityPolicy: string): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    // The policy is a parameter (CONTENT_SECURITY_POLICY, checked with Google's CSP Evaluator in
    // tests/unit/content-security-policy.test.ts), which Electronegativity cannot follow to parse.
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } }); // eng-disable CSP_GLOBAL_CHECK
  });
}

/**
 * For every webContents the app creates: no navigation away from the app's own page, no new
 * windows (an http(s) link opens in the system browser instead), no <webview>.
 */
export function guardWebContents(
  contents: WebContentsLike,
  isAppPage: (url: string) => boolean,
  openExternally: (url: string) => void,
  onRefused: (why: string) => void,
): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppPage(url)) return;
    event.preventDefault();
    onRefused(`refused to navigate to ${url.slice(0, 200)}`);
  });
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) openExternally(external);
    else onRefused(`refused to open ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    onRefused('refused to attach a <webview>');
  });
}
