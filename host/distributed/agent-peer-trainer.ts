import type { DatasetSpec } from '../../shared/run-config.js';
import { TrainerCommand, type TrainerMessage } from '../../shared/trainer-protocol.js';
import type { AgentConnection } from '../agent/agent-client.js';
import type { SendDataset } from '../datasets/dataset-sender.js';
import type { TrainerProcess } from '../trainer-process.js';

/**
 * A peer trainer on another node, started and driven through that node's agent, as the peer group
 * sees every trainer: commands in, messages out, an exit. A lost connection is the trainer's end.
 * A run with `distribution.dataset: 'upload'` first makes sure the node holds its dataset
 * (`sendDataset`: `progress` in bytes, then `peer-dataset`) and starts the trainer on that copy.
 */
export function agentPeerTrainer(connecting: Promise<AgentConnection>, sendDataset?: SendDataset): TrainerProcess {
  const messageListeners: ((message: unknown) => void)[] = [];
  const lineListeners: ((line: string) => void)[] = [];
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  let trainerId: Promise<string> | null = null;
  let exited = false;
  /** Ends a dataset still being sent when the trainer is killed before it started. */
  const sending = new AbortController();
  const line = (text: string) => lineListeners.forEach((l) => l(text));
  const exit = (code: number | null, signal: string | null) => {
    if (exited) return;
    exited = true;
    exitListeners.forEach((l) => l(code, signal));
    void connecting.then((c) => c.close(), () => {});
  };
  const failed = (error: unknown) => {
    line(error instanceof Error ? error.message : String(error));
    exit(1, null);
  };

  connecting.then((connection) => {
    connection.client.on('peer-trainer', async (event) => {
      if (event.trainerId === (await trainerId)) messageListeners.forEach((l) => l(event.message));
    });
    connection.client.on('peer-trainer-exit', async (event) => {
      if (event.trainerId !== (await trainerId)) return;
      event.stderrTail.forEach(line);
      exit(event.code, event.signal);
    });
    void connection.client.whenClosed.then((reason) => {
      line(`${connection.url}: ${reason.message}`);
      exit(null, 'SIGHUP');
    });
  }, failed);

  const message = (event: TrainerMessage) => messageListeners.forEach((l) => l(event));
  const uploadTo = async (connection: AgentConnection, spec: DatasetSpec): Promise<string> => {
    if (!sendDataset) throw new Error(`this host cannot send the dataset to ${connection.url}; give the run distribution.dataset "node"`);
    const sent = await sendDataset(connection.client.api, spec, (done, total) => message({ type: 'progress', time: Date.now(), phase: 'upload-data', done, total }), sending.signal);
    // The peer group knows this peer's number and address in the run, and puts them in.
    message({ type: 'peer-dataset', time: Date.now(), peer: 0, address: connection.url, ...sent });
    return sent.sha256;
  };

  const call = (act: (connection: AgentConnection, id: string) => Promise<unknown>) => {
    if (!trainerId) return;
    void Promise.all([connecting, trainerId])
      .then(([connection, id]) => act(connection, id))
      .catch(failed);
  };

  return {
    pid: undefined,
    send(message) {
      const command = TrainerCommand.parse(message);
      if (command.type === 'start') {
        const { checkpointDir: _local, ...start } = command;
        if (!start.peer) throw new Error('a trainer on another node runs only as a peer of a data-parallel run');
        const peer = start.peer;
        trainerId = connecting.then(async (c) => {
          const datasetSha256 = start.config.distribution?.dataset === 'upload' ? await uploadTo(c, start.config.dataset) : undefined;
          sending.signal.throwIfAborted();
          return (await c.client.api.startPeerTrainer({ command: { ...start, peer }, datasetSha256 })).trainerId;
        });
        trainerId.catch(failed);
        return;
      }
      call((c, id) => c.client.api.commandPeerTrainer({ trainerId: id, command }));
    },
    onMessage: (listener) => messageListeners.push(listener),
    onOutputLine: (listener) => lineListeners.push(listener),
    onExit: (listener) => exitListeners.push(listener),
    kill: () => {
      sending.abort(new Error('the run ended before this peer started'));
      call((c, id) => c.client.api.killPeerTrainer({ trainerId: id }));
    },
  };
}
