/** `export`: every record as JSON lines on standard output, the input of `import`. */
import { openStore } from '../store-access.js';
import { plural } from '../output.js';
import { readRecords } from '../records.js';
import type { CommandContext } from './context.js';

/** Writes one record per line, sorted by key, unreadable ones included as read. */
export async function exportCommand({ args, io }: CommandContext): Promise<number> {
  const opened = await openStore(args.target, 'read', io.cwd);
  let records;
  try {
    records = readRecords(await opened.store.list());
  } finally {
    await opened.close();
  }
  for (const { record } of records) io.stdout.write(`${JSON.stringify(record)}\n`);
  const unreadable = records.filter(({ problem }) => problem !== undefined).length;
  const note = unreadable === 0 ? '' : ` (${unreadable} unreadable: \`import\` will refuse ${unreadable === 1 ? 'it' : 'them'})`;
  io.stderr.write(`Exported ${plural(records.length, 'record')} from ${opened.description}${note}.\n`);
  return 0;
}
