/**
 * A POSIX ustar archive of a few small files, built in memory: how the app hands a model folder
 * to a browser as one download that every system's `tar` (and 7-Zip, and Windows' own) opens.
 */

const BLOCK = 512;

export interface TarFile {
  /** A relative path of at most 100 bytes, `/`-separated. */
  path: string;
  bytes: Uint8Array;
  /** ms since 1970. */
  mtimeMs: number;
}

function field(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar: ${JSON.stringify(text)} is longer than its ${length}-byte field`);
  header.set(bytes, offset);
}

/** An octal number, NUL-terminated, zero-padded to fill its field. */
const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0');

function headerOf(file: TarFile): Uint8Array {
  if (file.path.startsWith('/') || file.path.split('/').includes('..')) throw new RangeError(`tar: ${JSON.stringify(file.path)} is not a plain relative path`);
  const header = new Uint8Array(BLOCK);
  field(header, 0, 100, file.path);
  field(header, 100, 8, octal(0o644, 8));
  field(header, 108, 8, octal(0, 8));
  field(header, 116, 8, octal(0, 8));
  field(header, 124, 12, octal(file.bytes.byteLength, 12));
  field(header, 136, 12, octal(Math.floor(file.mtimeMs / 1000), 12));
  header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  header[156] = 0x30; // a regular file
  field(header, 257, 6, 'ustar');
  field(header, 263, 2, '00');
  const sum = header.reduce((a, b) => a + b, 0);
  field(header, 148, 8, `${octal(sum, 7)}\0`);
  return header;
}

export function tarArchive(files: readonly TarFile[]): Uint8Array {
  const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
  const total = files.reduce((sum, f) => sum + BLOCK + padded(f.bytes.byteLength), 0) + 2 * BLOCK;
  const out = new Uint8Array(total);
  let at = 0;
  for (const file of files) {
    out.set(headerOf(file), at);
    out.set(file.bytes, at + BLOCK);
    at += BLOCK + padded(file.bytes.byteLength);
  }
  return out;
}
