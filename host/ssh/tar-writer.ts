import { createReadStream } from 'node:fs';

/** One regular file for the archive: its path inside it (forward slashes) and where to read it. */
export interface TarFile {
  path: string;
  source: string;
  size: number;
  mode: number;
}

const BLOCK = 512;
/** Fixed, so the same files always make the same archive. */
const MTIME = Date.UTC(2024, 0, 1) / 1000;

/**
 * A POSIX ustar archive of `files` as chunks, for `tar -x` on the node (GNU tar and bsdtar make the
 * folders on the way). Paths too long for ustar get a pax `path` record.
 */
export async function* tarStream(files: readonly TarFile[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    const split = splitPath(file.path);
    if (split === null) {
      const record = paxRecord('path', file.path);
      yield header({ name: 'PaxHeader', size: record.length, mode: 0o644, type: 'x' });
      yield padded(record);
    }
    yield header({ ...(split ?? { name: file.path.slice(-99), prefix: '' }), size: file.size, mode: file.mode, type: '0' });
    let written = 0;
    for await (const chunk of createReadStream(file.source)) {
      written += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (written !== file.size) throw new Error(`${file.source} changed size while being archived`);
    if (written % BLOCK !== 0) yield Buffer.alloc(BLOCK - (written % BLOCK));
  }
  yield Buffer.alloc(2 * BLOCK);
}

function splitPath(path: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return null;
}

/** `LEN key=value\n`, where LEN counts the whole record including its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function header(entry: { name: string; prefix?: string; size: number; mode: number; type: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  const text = (value: string, offset: number, length: number) => block.write(value, offset, length, 'utf8');
  const octal = (value: number, offset: number, length: number) => text(value.toString(8).padStart(length - 1, '0') + '\0', offset, length);
  text(entry.name, 0, 100);
  octal(entry.mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(entry.size, 124, 12);
  octal(MTIME, 136, 12);
  text(' '.repeat(8), 148, 8);
  text(entry.type, 156, 1);
  text('ustar\0', 257, 6);
  text('00', 263, 2);
  text(entry.prefix ?? '', 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  text(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return block;
}
