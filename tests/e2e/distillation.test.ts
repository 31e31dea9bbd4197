import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunConfig } from '../../shared/run-config.js';
import { RunRecord } from '../../shared/run-record.js';
import { openPage, SHOTS, startedRunDone, startServeSession, type ServeSession } from '../support/serve-session.js';
import { tempDir } from '../support/studio-fixture.js';

describe('distilling a finished run in the browser', () => {
  let session: ServeSession;
  const dataDir = tempDir('e2e-distill');
  const configOf = (id: string) => RunConfig.parse(JSON.parse(readFileSync(join(dataDir, 'runs', id, 'config.json'), 'utf8')));

  beforeAll(async () => {
    session = await startServeSession(dataDir);
  });

  afterAll(() => session?.close());

  it('trains a student from the teacher’s page, changes its temperature live, then sets it beside the same student alone', async () => {
    const { page, errors } = await openPage(session.browser, session.url, { viewport: { width: 1280, height: 2000 }, countConsoleErrors: true });
    await page.getByTestId('field-model').selectOption('mlp');
    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-limit').fill('3000');
    await page.getByTestId('start-button').click();
    const teacherId = await startedRunDone(page, dataDir, []);

    await page.getByTestId('compress-button').click();
    await page.getByTestId('compress-tool-distill').check();
    // A student as large as its teacher teaches nothing: refused beside the field.
    await page.getByTestId('compress-student').fill('mlp:256,128');
    await page.getByTestId('compress-start').click();
    await expect.poll(() => page.getByTestId('compress-student-error').textContent()).toMatch(/must be smaller than its teacher/);

    await page.getByTestId('compress-student').fill('mlp:16');
    // Epochs enough that the student still trains when the temperature change arrives, on a loaded machine too.
    await page.getByTestId('compress-epochs').fill('60');
    await page.getByTestId('compress-start').click();
    await expect.poll(() => page.getByTestId('temperature-input').isVisible(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('temperature-input').fill('2');
    await page.getByTestId('apply-button').click();
    const studentId = await startedRunDone(page, dataDir, [teacherId]);
    expect(configOf(studentId)).toMatchObject({ model: 'mlp', hidden: [16], epochs: 60, distillation: { teacherRunId: teacherId, temperature: 4, alpha: 0.5 } });
    const log = readFileSync(join(dataDir, 'runs', studentId, 'run.log.jsonl'), 'utf8').trim().split('\n').slice(1).map((l) => RunRecord.parse(JSON.parse(l)));
    expect(log.some((r) => r.type === 'hyperparams' && r.temperature === 2)).toBe(true);

    await page.getByTestId('baseline-train').click();
    const aloneId = await startedRunDone(page, dataDir, [teacherId, studentId]);
    const { distillation: _teacher, ...student } = configOf(studentId);
    expect(configOf(aloneId)).toEqual(student);

    await page.locator(`[data-testid="run-item"][data-run-id="${studentId}"]`).click();
    await expect.poll(() => page.getByTestId('baseline-gain').textContent()).toMatch(/^[+−]\d+\.\d\d pts$/);
    await page.getByTestId('distillation-baseline').screenshot({ path: join(SHOTS, 'distillation-baseline.png') });
    await page.getByTestId('baseline-compare').click();
    await expect.poll(() => page.getByTestId('compare-panel').isVisible()).toBe(true);
    expect(await page.getByTestId(`compare-open-${studentId}`).isVisible()).toBe(true);
    expect(await page.getByTestId(`compare-open-${aloneId}`).isVisible()).toBe(true);
    await page.getByTestId('compare-panel').screenshot({ path: join(SHOTS, 'distillation-compare.png') });
    expect(errors).toEqual([]);
  }, 240_000);
});
