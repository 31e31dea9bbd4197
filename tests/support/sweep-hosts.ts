import { afterEach } from 'vitest';
import { createTestHost, smallRun } from './studio-fixture.js';

/** A trial small enough that a sweep of a few finishes in seconds. */
export const tinyTrial = smallRun({ epochs: 1, limit: 300, batchSize: 32 });

/**
 * A maker of test hosts whose trainers are stopped after each test, so a trial a test leaves
 * running does not hold the two cores for the next one. Call it at the top of a test file.
 */
export function hostsStoppedAfterEachTest(): () => ReturnType<typeof createTestHost> {
  const hosts: ReturnType<typeof createTestHost>[] = [];
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.supervisor.stopAll();
  });
  return () => {
    const h = createTestHost();
    hosts.push(h);
    return h;
  };
}
