/**
 * `import [FILE]`: restores an `export` (JSON lines, from FILE or standard input) into an EMPTY
 * store. Every line is checked before the database is opened; the records are inserted in one
 * transaction, so an import writes all of them or none.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { StopRecord } from '../../ports/state-store.js';
import { findRecordProblem } from '../../recovery/record-validation.js';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../io.js';
import { cell, plural } from '../output.js';
import { messageOf, openStore, type OpenStore } from '../store-access.js';
import type { CommandContext } from './context.js';

/** Reads, checks and inserts the records; refuses a store that holds any record. */
export async function importCommand({ args, io }: CommandContext): Promise<number> {
  const records = parseExport(await readInput(args.file, io));
  if (records.length === 0) {
    io.stdout.write('Nothing to import: the input holds no records.\n');
    return 0;
  }
  const opened = await openStore(args.target, 'create', io.cwd);
  try {
    // Checked before the transaction too, so a non-empty store is refused before any write (even a migration).
    if (opened.table.exists) await assertEmpty(opened);
    await opened.transaction(async () => {
      await assertEmpty(opened);
      for (const record of records) {
        const result = await opened.store.insert(record);
        if (!result.inserted) {
          throw new CliError(`Key \`${cell(record.key)}\` was written by someone else during the import; nothing was imported`);
        }
      }
    });
  } finally {
    await opened.close();
  }
  io.stdout.write(`Imported ${plural(records.length, 'record')} into ${opened.description}.\n`);
  return 0;
}

async function assertEmpty(opened: OpenStore): Promise<void> {
  const existing = await opened.store.list();
  if (existing.length > 0) {
    throw new CliError(
      `Refusing to import: ${opened.description} already holds ${plural(existing.length, 'record')}; import restores into an empty store only`,
    );
  }
}

async function readInput(file: string | undefined, io: CliIo): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return await readFile(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read ${file}: ${messageOf(error)}`);
    }
  }
  if (io.stdinIsTerminal === true) throw new CliError('`import` reads an export from FILE or from standard input (a pipe or redirect), not from a terminal');
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** Parses JSON lines into records, refusing the whole input at the first bad or repeated line. */
function parseExport(text: string): StopRecord[] {
  const records: StopRecord[] = [];
  const lineOfKey = new Map<string, number>();
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const number = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new CliError(`Line ${number} of the input is not JSON; expected one record per line, as \`export\` writes`);
    }
    const problem = findRecordProblem(value);
    if (problem !== undefined) {
      const key = (value as { key?: unknown } | null)?.key;
      throw new CliError(`Line ${number}${typeof key === 'string' ? ` (key \`${cell(key)}\`)` : ''} is not a valid record: ${problem}; nothing was imported`);
    }
    const record = value as StopRecord;
    const first = lineOfKey.get(record.key);
    if (first !== undefined) throw new CliError(`Line ${number} repeats key \`${cell(record.key)}\` of line ${first}; nothing was imported`);
    lineOfKey.set(record.key, number);
    records.push(record);
  }
  return records;
}
