import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A /proc file kept open and re-read from offset 0 each time: one `pread` per sample instead of
 * open + fstat + read + close, which matters at 20 Hz.
 */
export class ProcFile {
  private fd: number | null = null;
  private buffer = Buffer.alloc(16 * 1024);

  constructor(readonly path: string) {}

  read(): string | null {
    try {
      this.fd ??= openSync(this.path, 'r');
      for (;;) {
        const n = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
        if (n < this.buffer.length) return this.buffer.toString('latin1', 0, n);
        this.buffer = Buffer.alloc(this.buffer.length * 2);
      }
    } catch {
      this.close();
      return null;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
