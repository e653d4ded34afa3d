/** `prune`: deletes the records of stops that are over (triggered; failed without an order). */
import { openStore } from '../store-access.js';
import { cell, plural } from '../output.js';
import { isPrunable, readRecords } from '../records.js';
import type { CommandContext } from './context.js';

/**
 * Deletes every prunable record, each guarded by the version it was read at, so a record a
 * registry changed meanwhile stays. With `--dry-run`, prints what it would delete and writes nothing.
 */
export async function pruneCommand({ args, io }: CommandContext): Promise<number> {
  const opened = await openStore(args.target, args.dryRun ? 'read' : 'write', io.cwd);
  try {
    const records = readRecords(await opened.store.list());
    const prunable = records.filter(isPrunable);
    let deleted = 0;
    let changed = 0;
    for (const { record } of prunable) {
      const what = `${cell(record.key)} (${record.state}, version ${record.version})`;
      if (args.dryRun) {
        io.stdout.write(`would delete ${what}\n`);
      } else if (await opened.store.delete(record.key, record.version)) {
        deleted++;
        io.stdout.write(`deleted ${what}\n`);
      } else {
        changed++;
        io.stdout.write(`kept ${what}: it changed since it was read\n`);
      }
    }
    const total = plural(records.length, 'record');
    if (args.dryRun) {
      io.stdout.write(`Would prune ${prunable.length} of ${total} in ${opened.description} (dry run: nothing deleted).\n`);
    } else {
      const kept = changed === 0 ? '' : `; ${changed} changed meanwhile and kept`;
      io.stdout.write(`Pruned ${deleted} of ${total} in ${opened.description}${kept}.\n`);
    }
  } finally {
    await opened.close();
  }
  return 0;
}
