/** `show KEY`: one record in full, as JSON. */
import { findRecordProblem } from '../../recovery/record-validation.js';
import { CliError } from '../cli-error.js';
import { openStore } from '../store-access.js';
import { cell } from '../output.js';
import type { CommandContext } from './context.js';

/** Prints the record for the key; exit code 1 when there is none. */
export async function showCommand({ args, io }: CommandContext): Promise<number> {
  const key = args.key!;
  const opened = await openStore(args.target, 'read', io.cwd);
  let record;
  try {
    record = await opened.store.load(key);
  } finally {
    await opened.close();
  }
  if (record === undefined) throw new CliError(`No record for key \`${cell(key)}\` in ${opened.description}`, 1);
  io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  const problem = findRecordProblem(record);
  if (problem !== undefined) io.stderr.write(`warning: the registry cannot read this record (restore skips it): ${problem}\n`);
  return 0;
}
