import type { Command, Option } from 'commander';
import { EXPORT_FORMATS, SERIES_KINDS } from '../../shared/run-export.js';
import { RUN_ARCHIVE_EXTENSION } from '../../shared/run-archive.js';
import { defaultDataDir } from '../data-dir.js';
import { packageVersion } from '../package-root.js';
import { runsExportCommand, runsImportCommand } from './run-transfer-commands.js';

/** `runs export` and `runs import`, under `runs`. */
export function registerTransferCommands(runs: Command, dataDirOption: () => Option, setCode: (code: number) => void): void {
  runs
    .command('export <id>')
    .description(`a run as one file: an archive (${RUN_ARCHIVE_EXTENSION}, for runs import), its series as CSV or JSON, or a TensorBoard event file`)
    .requiredOption('--format <format>', EXPORT_FORMATS.join(' | '))
    .option('--out <path>', 'file to write, or a folder to write it into (tfevents: always a folder, created if missing)', '.')
    .option('--series <kind>', `CSV only: ${SERIES_KINDS.join(' | ')} (default step)`)
    .option('--json', 'print one JSON object describing the file written', false)
    .addOption(dataDirOption())
    .action(async (id: string, opts) => {
      setCode(await runsExportCommand(id, { ...opts, dataDir: opts.dataDir ?? defaultDataDir(), version: packageVersion() }));
    });
  runs
    .command('import <file>')
    .description(`bring back a run from a ${RUN_ARCHIVE_EXTENSION} archive, under its own id; prints the id`)
    .option('--json', 'print {"runId": …}', false)
    .addOption(dataDirOption())
    .action(async (file: string, opts) => {
      setCode(await runsImportCommand(file, { ...opts, dataDir: opts.dataDir ?? defaultDataDir(), version: packageVersion() }));
    });
}
