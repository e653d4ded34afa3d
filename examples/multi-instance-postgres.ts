/**
 * Scenario: three bot instances share one PostgreSQL database and one exchange account, and all
 * three try to protect the same positions at the same moment (each received the same signals).
 *
 *   DATABASE_URL=postgres://user:password@localhost:5432/db npx tsx examples/multi-instance-postgres.ts
 *   scripts/with-postgres.sh npx tsx examples/multi-instance-postgres.ts   # throwaway server
 *
 * Each instance has its own pg Pool and owner id. PostgreSQL arbitrates: the first instance to
 * insert a key's claim places its stop; the others wait for that claim and adopt the result. At the
 * end there is exactly one stop order per position, and every instance sees the same one.
 *
 * The example works in a schema of its own (`tsr_example_<random>`, or TSR_SCHEMA) and drops it at
 * the end unless KEEP_SCHEMA=1. In separate processes it is the same code: one registry per
 * process, the same DATABASE_URL and schema, a different `owner` each.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PaperExchange, TrailingStopRegistry } from '../src/index.js';
import { PostgresStateStore } from '../src/stores/postgres.js';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error(
    'DATABASE_URL is not set. Point it at a PostgreSQL database, e.g.\n' +
      '  DATABASE_URL=postgres://user:password@localhost:5432/db npx tsx examples/multi-instance-postgres.ts\n' +
      'or run it against a throwaway server:\n' +
      '  scripts/with-postgres.sh npx tsx examples/multi-instance-postgres.ts',
  );
  process.exit(2);
}

const schema = process.env.TSR_SCHEMA ?? `tsr_example_${randomBytes(4).toString('hex')}`;
const symbols = Array.from({ length: 30 }, (_, index) => `COIN${String(index + 1).padStart(2, '0')}/USDT:USDT`);
// One exchange account: every instance talks to the same venue (50 ms per call, like a real one).
const exchange = new PaperExchange({ latencyMs: 50 });

const instances = ['bot-a', 'bot-b', 'bot-c'].map((owner) => {
  const pool = new pg.Pool({ connectionString, max: 4 });
  const store = new PostgresStateStore({ client: pool, schema });
  const registry = new TrailingStopRegistry({ placer: exchange, store, owner, concurrency: 10, claimPollMs: 20 });
  return { owner, pool, store, registry };
});

try {
  await instances[0]!.store.migrate(); // optional: fail fast on a bad URL or missing rights
  console.log(`3 instances, schema "${schema}", ${symbols.length} positions, all created by every instance at once\n`);

  const started = Date.now();
  // Each instance sees the signals in its own order (rotated), as separate processes would.
  const waves = await Promise.all(
    instances.map(({ registry }, index) => {
      const order = [...symbols.slice(index * 10), ...symbols.slice(0, index * 10)];
      return registry.createMany(order.map((symbol) => ({ symbol, side: 'long' as const, entryPrice: 100, quantity: 1, stopLossPercent: 2 })));
    }),
  );
  await Promise.all(instances.map(({ registry }) => registry.onIdle()));
  const elapsed = Date.now() - started;

  for (const [index, { owner, registry }] of instances.entries()) {
    const failed = waves[index]!.filter((result) => result.status === 'rejected').length;
    const { created, adopted, racesLost, compensated } = registry.stats;
    console.log(`${owner}: placed ${created}, adopted ${adopted} from the others, ${racesLost} races lost, ${compensated} orders cancelled, ${failed} failures`);
  }

  const live = exchange.liveOrders();
  const records = await instances[0]!.store.list();
  const recorded = new Set(records.map((record) => record.order?.id));
  const orphans = live.filter((order) => !recorded.has(order.id));
  const sameView = symbols.every((symbol) => {
    const ids = instances.map(({ registry }) => registry.get(symbol)?.order?.id);
    return ids.every((id) => id !== undefined && id === ids[0]);
  });
  console.log(`\nexchange: ${live.length} open stops for ${symbols.length} positions, ${exchange.allOrders().length} ever placed, ${orphans.length} orphans`);
  console.log(`every instance sees the same stop order for every position: ${sameView ? 'yes' : 'NO'}`);
  const sample = symbols[0]!;
  for (const { owner, registry } of instances) {
    const stop = registry.get(sample)!;
    console.log(`  ${owner} sees ${sample}: ${stop.state}, stop ${stop.stopPrice}, order ${stop.order?.id} (${stop.order?.clientOrderId})`);
  }
  console.log(`took ${elapsed} ms (3 x ${symbols.length} creations, 50 ms per exchange call)`);

  // Run this periodically in every instance: it repairs what a crashed instance left behind.
  const reports = await Promise.all(instances.map(({ registry }) => registry.reconcile()));
  console.log(`reconcile: ${reports.reduce((sum, report) => sum + report.actions.length, 0)} action(s) needed`);
  if (live.length !== symbols.length || orphans.length > 0 || !sameView) process.exitCode = 1;
} finally {
  for (const { registry, store } of instances) {
    await registry.close();
    await store.close();
  }
  if (process.env.KEEP_SCHEMA !== '1') await instances[0]!.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  for (const { pool } of instances) await pool.end();
}
