import { fork } from 'node:child_process';
import { forEachLine } from './output-lines.js';

/**
 * A running trainer as the supervisor sees it, whatever started it: Node's `fork` here,
 * Electron's `utilityProcess` in the desktop app.
 */
export interface TrainerProcess {
  readonly pid: number | undefined;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Each line the trainer writes to stdout or stderr. */
  onOutputLine(listener: (line: string) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export type SpawnTrainer = (env: NodeJS.ProcessEnv) => TrainerProcess;

/** Starts the trainer with Node's `fork`: plain Node, the CLI and `serve`. */
export function forkTrainer(entry: string): SpawnTrainer {
  return (env) => {
    const child = fork(entry, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    const lineListeners: ((line: string) => void)[] = [];
    const onLine = (line: string) => lineListeners.forEach((l) => l(line));
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    return {
      pid: child.pid,
      send: (message) => {
        if (child.connected) child.send(message as object);
      },
      onMessage: (listener) => child.on('message', listener),
      onOutputLine: (listener) => lineListeners.push(listener),
      onExit: (listener) => child.on('exit', listener),
      kill: (signal) => child.kill(signal),
    };
  };
}
