import { utilityProcess } from 'electron';
import { forEachLine } from '../host/output-lines.js';
import type { SpawnTrainer } from '../host/trainer-process.js';

/** The trainer as an Electron utility process, so the packaged app needs no run-as-Node mode. */
export function utilityProcessTrainer(entry: string): SpawnTrainer {
  return (env) => {
    const child = utilityProcess.fork(entry, [], { env, stdio: 'pipe', serviceName: 'HPC Studio trainer' });
    const lineListeners: ((line: string) => void)[] = [];
    const onLine = (line: string) => lineListeners.forEach((l) => l(line));
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      onOutputLine: (listener) => lineListeners.push(listener),
      onExit: (listener) => child.on('exit', (code) => listener(code, null)),
      kill: () => child.kill(),
    };
  };
}
