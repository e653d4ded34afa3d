/** `list`: every record in the store, as a table for operators or as JSON (`--json`) for scripts. */
import { openStore } from '../store-access.js';
import { cell, formatTable, formatTime, plural } from '../output.js';
import { readRecords, type ReadRecord } from '../records.js';
import type { CommandContext } from './context.js';

const headers = ['KEY', 'STATE', 'SIDE', 'SYMBOL', 'QUANTITY', 'STOP', 'VENUE_STOP', 'ORDER', 'OWNER', 'VERSION', 'UPDATED'];

/** Prints every record, sorted by key; unreadable records are flagged, never hidden. */
export async function listCommand({ args, io }: CommandContext): Promise<number> {
  const opened = await openStore(args.target, 'read', io.cwd);
  let records: ReadRecord[];
  try {
    records = readRecords(await opened.store.list());
  } finally {
    await opened.close();
  }
  if (args.json) {
    const rows = records.map(({ record, problem }) => (problem === undefined ? record : { ...record, problem }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (records.length === 0) {
    io.stdout.write(`No records in ${opened.description}.\n`);
    return 0;
  }
  const withProblems = records.some(({ problem }) => problem !== undefined);
  const rows = records.map(({ record, problem }) => {
    const row = [
      cell(record.key),
      cell(record.state),
      cell(record.side),
      cell(record.symbol),
      cell(record.quantity),
      cell(record.stopPrice),
      cell(record.order?.stopPrice),
      cell(record.order?.id),
      cell(record.owner),
      cell(record.version),
      formatTime(record.updatedAt),
    ];
    return withProblems ? [...row, cell(problem ?? '')] : row;
  });
  io.stdout.write(formatTable(withProblems ? [...headers, 'PROBLEM'] : headers, rows));
  io.stdout.write(`${summarize(records)}\n`);
  return 0;
}

/** `3 records: 1 active, 2 failed; 1 unreadable (restore skips it)`. */
function summarize(records: readonly ReadRecord[]): string {
  const byState = new Map<string, number>();
  for (const { record } of records) byState.set(String(record.state), (byState.get(String(record.state)) ?? 0) + 1);
  const states = [...byState].map(([state, count]) => `${count} ${cell(state)}`).join(', ');
  const unreadable = records.filter(({ problem }) => problem !== undefined).length;
  const suffix = unreadable === 0 ? '' : `; ${unreadable} unreadable (restore skips ${unreadable === 1 ? 'it' : 'them'}; see \`show KEY\`)`;
  return `${plural(records.length, 'record')}: ${states}${suffix}`;
}
