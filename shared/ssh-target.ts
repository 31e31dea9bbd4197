import { z } from 'zod';

/**
 * Where a node's sshd listens and whom to log in as. Checked the same way wherever it comes from
 * (`ssh://…` on the command line, the app's form, an API call): nothing in it can mean anything to
 * a shell, and no host or user can pass for a command-line option.
 */

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
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The problem with one field, in words naming the field and what it accepts; null when it is fine. */
export function sshUserProblem(user: string): string | null {
  return USER.test(user) ? null : `user: must be 1–64 letters, digits, '.', '_' or '-', not starting with '-'; got ${JSON.stringify(user)}${offending(user)}`;
}

export function sshHostProblem(text: string): string | null {
  const host = unbracketed(text);
  // Digits and dots only is an IPv4 address or nothing: resolvers read `10.1` or `10.0.0.256` in surprising ways.
  const fine = host.includes(':') ? isIPv6(host) : /^[\d.]+$/.test(host) ? IPV4.test(host) : HOST_NAME.test(host) && host.length <= 253;
  return fine ? null : `host: must be a host name (letters, digits, '-', '_' and dots), an IPv4 address or an IPv6 address; got ${JSON.stringify(text)}${offending(host)}`;
}

export function sshPortProblem(value: number | string): string | null {
  const port = typeof value === 'number' ? value : /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? null : `port: must be an integer from 1 to 65535 (default 22), got ${JSON.stringify(value)}`;
}

/** A checked target, as the API and the app's form carry it: host without brackets, port 1–65535, user. */
export const SshTarget = z
  .object({ host: z.string().max(300), port: z.number().int(), user: z.string().max(100) })
  .superRefine((target, ctx) => {
    const problems = { host: sshHostProblem(target.host), port: sshPortProblem(target.port), user: sshUserProblem(target.user) };
    for (const [field, message] of Object.entries(problems)) if (message) ctx.addIssue({ code: 'custom', path: [field], message });
  })
  .transform((target) => ({ ...target, host: unbracketed(target.host) }));
export type SshTarget = z.infer<typeof SshTarget>;

/** `ssh://user@host[:port]`, with an IPv6 address in brackets: `ssh://me@[fd00::5]:2222`. */
export function parseSshTarget(text: string): SshTarget {
  const match = /^ssh:\/\/(?:([^@]*)@)?(\[[^\]]*\]|[^:/[\]]*)(?::([^/]*))?\/?$/.exec(text.trim());
  if (!match) throw new SshTargetError('target', `target: must look like ssh://USER@HOST[:PORT] (IPv6 in brackets), got ${JSON.stringify(text)}`);
  const [, user, host, port] = match;
  if (user === undefined) throw new SshTargetError('user', `user: missing; write ssh://USER@HOST[:PORT], got ${JSON.stringify(text)}`);
  return sshTarget({ host: host!, port: port ?? 22, user });
}

/** The fields of a form: host (a name, an IPv4 address, or IPv6 with or without brackets), port (default 22), user. */
export function sshTarget(fields: { host: string; port?: number | string; user: string }): SshTarget {
  const port = fields.port ?? 22;
  const user = sshUserProblem(fields.user);
  if (user) throw new SshTargetError('user', user);
  const host = sshHostProblem(fields.host);
  if (host) throw new SshTargetError('host', host);
  const portProblem = sshPortProblem(port);
  if (portProblem) throw new SshTargetError('port', portProblem);
  return { host: unbracketed(fields.host), port: Number(port), user: fields.user };
}

/** `user@host:port` as messages name it, IPv6 in brackets. */
export function describeSshTarget(target: SshTarget): string {
  return `${target.user}@${bracketed(target.host)}:${target.port}`;
}

export function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function unbracketed(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** Eight groups of 1–4 hex digits, `::` once for a run of zeros, the last two may be dotted IPv4; no zone (`%eth0`). */
function isIPv6(host: string): boolean {
  const halves = host.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  let count = 0;
  for (const [h, half] of groups.entries()) {
    for (const [i, group] of half.entries()) {
      const last = h === groups.length - 1 && i === half.length - 1;
      if (last && IPV4.test(group)) count += 2;
      else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) count += 1;
      else return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Names the first character a shell would act on, so the user sees why. */
function offending(text: string): string {
  const bad = /[\s\x00-\x1f\x7f;&|`$()<>\\'"*?[\]{}!#~%]/.exec(text)?.[0];
  if (bad === undefined) return '';
  const shown = /[\s\x00-\x1f\x7f]/.test(bad) ? `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} (whitespace or a control character)` : `'${bad}'`;
  return ` (${shown} is not allowed)`;
}
