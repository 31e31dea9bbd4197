import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const TEMP_MARK = '.tmp-';
const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/;

export class FolderExistsError extends Error {
  constructor(readonly dir: string) {
    super(`${dir} already exists; it is never overwritten`);
    this.name = 'FolderExistsError';
  }
}

/**
 * Creates `dir` (which must not exist) holding `files`, as a whole: they are written into a
 * hidden temp folder beside it, fsynced, and the folder renamed into place, so a crash leaves
 * nothing half written. rename(2) cannot replace a non-empty folder, so an existing one is never
 * overwritten, even by a writer racing this one.
 */
export function writeFolderAtomically(dir: string, files: readonly { name: string; bytes: Uint8Array }[]): void {
  if (existsSync(dir)) throw new FolderExistsError(dir);
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `.${basename(dir)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(temp);
  try {
    for (const { name, bytes } of files) writeDurably(join(temp, name), bytes);
    fsyncPath(temp);
    try {
      renameSync(temp, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new FolderExistsError(dir);
      throw error;
    }
    fsyncPath(parent);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** Replaces `file` (in a folder that exists) so a crash leaves the old or the new contents, never a mix. */
export function replaceFileAtomically(file: string, bytes: Uint8Array): void {
  const temp = join(dirname(file), `.${basename(file)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeDurably(temp, bytes);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncPath(dirname(file));
}

function writeDurably(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'wx');
  try {
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes the temp folders in `parent` that writers which are no longer running left behind (a crash mid-write). */
export function removeAbandonedTempFolders(parent: string, isRunning: (pid: number) => boolean = processIsRunning): string[] {
  if (!existsSync(parent)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    const pid = TEMP_NAME.exec(name)?.[1];
    if (pid === undefined || isRunning(Number(pid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
