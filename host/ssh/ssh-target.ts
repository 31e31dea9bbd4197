import { isIP } from 'node:net';

/** Where a node's sshd listens and whom to log in as, validated: nothing in it can mean anything to a shell. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

export class SshTargetError extends Error {
  constructor(
    readonly field: 'target' | 'host' | 'port' | 'user',
    message: string,
  ) {
    super(message);
    this.name = 'SshTargetError';
  }
}

const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/;
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/** `ssh://user@host[:port]`, with an IPv6 address in brackets: `ssh://me@[fd00::5]:2222`. */
export function parseSshTarget(text: string): SshTarget {
  const match = /^ssh:\/\/(?:([^@]*)@)?(\[[^\]]*\]|[^:/[\]]*)(?::([^/]*))?\/?$/.exec(text.trim());
  if (!match) throw new SshTargetError('target', `target: must look like ssh://USER@HOST[:PORT] (IPv6 in brackets), got ${JSON.stringify(text)}`);
  const [, user, host, port] = match;
  if (user === undefined) throw new SshTargetError('user', `user: missing; write ssh://USER@HOST[:PORT], got ${JSON.stringify(text)}`);
  return sshTarget({ host: host!, port: port ?? 22, user });
}

/** The fields of a form: host (a name, an IPv4 address, or IPv6 with or without brackets), port 1–65535 (default 22), user. */
export function sshTarget(fields: { host: string; port?: number | string; user: string }): SshTarget {
  return { host: checkHost(fields.host), port: checkPort(fields.port ?? 22), user: checkUser(fields.user) };
}

/** `user@host:port` as messages name it, IPv6 in brackets. */
export function describeSshTarget(target: SshTarget): string {
  return `${target.user}@${bracketed(target.host)}:${target.port}`;
}

export function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function checkUser(user: string): string {
  if (!USER.test(user)) {
    throw new SshTargetError('user', `user: must be 1–64 letters, digits, '.', '_' or '-', not starting with '-'; got ${JSON.stringify(user)}${offending(user)}`);
  }
  return user;
}

function checkHost(text: string): string {
  const host = text.replace(/^\[(.*)\]$/, '$1');
  if (host.includes(':') ? isIP(host) === 6 : isIP(host) === 4 || (HOST_NAME.test(host) && host.length <= 253)) return host;
  throw new SshTargetError(
    'host',
    `host: must be a host name (letters, digits, '-', '_' and dots), an IPv4 address or an IPv6 address; got ${JSON.stringify(text)}${offending(host)}`,
  );
}

function checkPort(value: number | string): number {
  const port = typeof value === 'number' ? value : /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SshTargetError('port', `port: must be an integer from 1 to 65535 (default 22), got ${JSON.stringify(value)}`);
  }
  return port;
}

/** Names the first character a shell would act on, so the user sees why. */
function offending(text: string): string {
  const bad = /[\s\x00-\x1f\x7f;&|`$()<>\\'"*?[\]{}!#~]/.exec(text)?.[0];
  if (bad === undefined) return '';
  const shown = /[\s\x00-\x1f\x7f]/.test(bad) ? `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} (whitespace or a control character)` : `'${bad}'`;
  return ` (${shown} is not allowed)`;
}
