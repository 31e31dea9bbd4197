import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Builds a run archive byte by byte from docs/run-archive.md, independently of the exporter,
 * so tests can hand the importer archives the exporter would never write.
 */
export function buildArchive(o: { version?: number; manifest: Record<string, unknown>; files: { path: string; bytes: Buffer }[] }): Buffer {
  const manifest = Buffer.from(
    JSON.stringify({
      ...o.manifest,
      files: o.files.map((f) => ({ path: f.path, size: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') })),
    }),
  );
  const fixed = Buffer.alloc(16);
  fixed.write('HPCSRUN\0', 0, 'latin1');
  fixed.writeUInt32LE(o.version ?? 1, 8);
  fixed.writeUInt32LE(manifest.length, 12);
  return gzipSync(Buffer.concat([fixed, manifest, ...o.files.map((f) => f.bytes)]));
}
