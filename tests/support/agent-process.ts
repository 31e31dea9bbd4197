import { AgentListening } from '../../shared/agent-protocol.js';
import { startCli, type CliResult } from './cli-process.js';
import { tempDir, waitFor } from './studio-fixture.js';

export interface AgentProcess {
  listening: AgentListening;
  dataDir: string;
  stderr: () => string;
  /** SIGTERM, then its exit. */
  stop(): Promise<CliResult>;
}

/** A real `hpc-studio agent --json` child over `dataDir`, once it says it is listening. */
export async function startAgent(args: string[] = [], dataDir = tempDir('agent'), env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const agent = startCli(['agent', '--json', '--port', '0', '--data-dir', dataDir, ...args], env);
  let stderr = '';
  agent.child.stderr!.on('data', (c: string) => (stderr += c));
  const stop = async () => {
    agent.child.kill('SIGTERM');
    return agent.result;
  };
  try {
    const line = await waitFor('the agent to listen', () => /^(.*)\n/.exec(agent.stdout())?.[1] ?? (agent.child.exitCode !== null ? 'exited' : undefined), 20_000);
    if (line === 'exited') throw new Error(`the agent exited: ${stderr}`);
    return { listening: AgentListening.parse(JSON.parse(line)), dataDir, stderr: () => stderr, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
