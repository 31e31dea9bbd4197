import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to `serve`: a page that traded the printed URL's token for a session cookie,
 * or a non-browser client presenting the token itself. Browser requests must also come
 * from the served origin, addressed to the bound host and port (DNS-rebinding defence).
 */
export class RequestGuard {
  readonly token = randomBytes(24).toString('base64url');
  private readonly sessions = new Set<string>();
  private allowedHosts = new Set<string>();
  private origins = new Set<string>();

  /** Call once the port is known. */
  bind(host: string, port: number): void {
    const hostPart = host.includes(':') ? `[${host}]` : host;
    this.allowedHosts = new Set([`${hostPart}:${port}`]);
    if (isLoopback(host)) this.allowedHosts.add(`localhost:${port}`);
    this.origins = new Set([...this.allowedHosts].map((h) => `http://${h}`));
  }

  get cookieName(): string {
    // Cookies are shared across ports, so two servers on one host must not clobber each other.
    return `hpc_session_${[...this.allowedHosts][0]?.split(':').pop() ?? '0'}`;
  }

  hostAllowed(req: IncomingMessage): boolean {
    return req.headers.host !== undefined && this.allowedHosts.has(req.headers.host.toLowerCase());
  }

  /** Browsers always send Origin on WebSocket upgrades and POSTs; other clients send none. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.origins.has(origin.toLowerCase());
  }

  tokenMatches(candidate: unknown): boolean {
    if (typeof candidate !== 'string') return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** A new session id for a page that proved it holds the token. */
  openSession(): string {
    const id = randomBytes(24).toString('base64url');
    this.sessions.add(id);
    return id;
  }

  sessionCookie(id: string): string {
    return `${this.cookieName}=${id}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** A WebSocket upgrade: a session cookie from a page, or `Authorization: Bearer <token>` from a program. */
  authenticated(req: IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return this.tokenMatches(bearer);
    const session = parseCookies(req.headers.cookie)[this.cookieName];
    return session !== undefined && this.sessions.has(session);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
