import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import electronLog from 'electron-log/node';
import { describe, expect, it } from 'vitest';
import { configureAppLog, LOG_FILE_MAX_BYTES } from '../../electron/app-log.js';
import { REDACTED, SecretRedactor } from '../../host/secrets/secret-redactor.js';
import { tempDir } from '../support/studio-fixture.js';

// electron-log's Node build writes through the same file transport the app's main process uses;
// only Electron itself (which supplies app.getPath('logs')) cannot run here.
function appLog() {
  const log = electronLog.create({ logId: `test-${Math.random()}` });
  log.transports.console.level = false;
  const redactor = new SecretRedactor();
  const file = configureAppLog(log, join(tempDir('logs'), 'logs'), redactor);
  return { log, file, redactor };
}

describe('the desktop app log', () => {
  it('writes main.log in the logs folder it is given', () => {
    const { log, file } = appLog();
    log.info('HPC Studio starting');
    expect(file.endsWith(join('logs', 'main.log'))).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/\[\d{4}-\d{2}-\d{2} [\d:.]+\] \[info\]\s+HPC Studio starting/);
  });

  it('rotates to main.old.log at its size limit, so it never grows without bound', () => {
    const { log, file } = appLog();
    const line = 'x'.repeat(1000);
    for (let i = 0; i < (LOG_FILE_MAX_BYTES / 1000) * 1.5; i++) log.info(line);
    expect(existsSync(file.replace('main.log', 'main.old.log'))).toBe(true);
    expect(statSync(file).size).toBeLessThanOrEqual(LOG_FILE_MAX_BYTES);
  });

  it('never writes a secret the app has handled, in text, errors or objects', () => {
    const { log, file, redactor } = appLog();
    const token = 'agent-token-9c41f0aa';
    redactor.add(token);
    log.warn(`peer refused token ${token}`);
    log.error(new Error(`bad token ${token}`));
    log.info({ url: `ws://node:7070/?token=${token}` });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text.split(REDACTED).length - 1).toBeGreaterThanOrEqual(3);
  });
});
