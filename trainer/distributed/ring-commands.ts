import type { TrainerCommand } from '../../shared/trainer-protocol.js';

export type RingCommand = Extract<TrainerCommand, { type: 'ring' }>;

/** The host's `ring` commands as they arrive, one per ring generation, for whoever waits next. */
export class RingCommands {
  private readonly queued: RingCommand[] = [];
  private waiting: ((command: RingCommand) => void) | null = null;

  push(command: RingCommand): void {
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = null;
      wake(command);
    } else this.queued.push(command);
  }

  next(): Promise<RingCommand> {
    const command = this.queued.shift();
    return command ? Promise.resolve(command) : new Promise((resolve) => (this.waiting = resolve));
  }
}
