import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FuseState } from '@electron/fuses';

/**
 * A stand-in for the Electron binary, which cannot be downloaded here: filler bytes around the fuse
 * sentinel and wire in the layout @electron/fuses reads (its dist/constants.js and dist/index.js):
 * the 32-byte sentinel, a version byte (1), a length byte, then one byte per fuse ('0' off, '1' on).
 * The wire holds Electron's defaults, the ones the packaged app must not keep.
 */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const { ENABLE, DISABLE } = FuseState;
export const ELECTRON_DEFAULT_WIRE = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE, ENABLE];
export const STAND_IN_FILLER = Buffer.alloc(70_000, 0x90);

/** Writes the stand-in (executable) at `path` and returns its bytes. */
export function writeStandInElectron(path: string): Buffer {
  const bytes = Buffer.concat([STAND_IN_FILLER, Buffer.from(FUSE_SENTINEL), Buffer.from([1, ELECTRON_DEFAULT_WIRE.length, ...ELECTRON_DEFAULT_WIRE]), STAND_IN_FILLER]);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes, { mode: 0o755 });
  return bytes;
}
