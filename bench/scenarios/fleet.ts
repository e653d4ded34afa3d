/**
 * `fleet`: several bot processes on one PostgreSQL database and one venue. Each of 4 instances of
 * a strategy (one pg pool each, as separate processes would have) receives the same K creations
 * at once, as when every process sees the same signals. Only a store-level claim keeps this to
 * one order per key; a lock inside one process cannot.
 *
 * Needs a server: DATABASE_URL, or `scripts/with-postgres.sh npm run bench`. Each measurement
 * uses a fresh schema, dropped afterwards. Skipped (not failed) without a server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PaperExchange } from '../../src/placers/paper.js';
import { PostgresStateStore } from '../../src/stores/postgres.js';
import { creationStrategies, type CreationStrategy } from '../strategies/index.js';
import { liveAndOrphans, totalCalls } from '../support/placers.js';
import { now } from '../support/timing.js';
import { makeSpecs } from './creations.js';
import { repeat, skippedResult, type Scenario } from './scenario.js';

const processes = 4;
const latencyMs = 25;
const concurrency = 50;

export const fleet: Scenario = {
  name: 'fleet',
  description: `${processes} processes on one PostgreSQL database and one venue, each creating the same keys at once`,
  async run(context) {
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      return skippedResult(
        'fleet',
        this.description,
        'no PostgreSQL server: set DATABASE_URL, or run `scripts/with-postgres.sh npm run bench -- --only fleet`',
      );
    }
    const keys = context.quick ? 100 : 500;
    const repetitions = context.quick ? 1 : 5;
    const failures = new Map<string, number>();
    const byName = new Map(creationStrategies.map((definition) => [definition.name, definition]));
    const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    try {
      const strategies = await repeat(context, 'fleet', [...byName.keys()], repetitions, async (name) => {
        const schema = `tsr_bench_${randomBytes(6).toString('hex')}`;
        const exchange = new PaperExchange({ latencyMs });
        const pools = Array.from({ length: processes }, () => new pg.Pool({ connectionString: databaseUrl, max: 10 }));
        const stores = pools.map((pool) => new PostgresStateStore({ client: pool, schema }));
        try {
          await stores[0]!.migrate();
          const instances: CreationStrategy[] = stores.map((store, index) =>
            byName.get(name)!.create({ exchange, store, concurrency, owner: `${name}-${index + 1}` }),
          );
          const specs = makeSpecs(keys, (index) => `FLEET${index}`);
          const start = now();
          const results = await Promise.allSettled(instances.flatMap((instance) => specs.map((spec) => instance.create(spec))));
          const wallMs = now() - start;
          await Promise.all(instances.map((instance) => instance.settle()));
          const { orphans } = liveAndOrphans(exchange);
          const exchangeCalls = totalCalls(exchange);
          await Promise.all(instances.map((instance) => instance.close()));
          const rejected = results.filter((result) => result.status === 'rejected').length;
          if (rejected > 0) failures.set(name, (failures.get(name) ?? 0) + rejected);
          return { keys, wallMs, exchangeCalls, orphans };
        } finally {
          await Promise.all(stores.map((store) => store.close()));
          await Promise.all(pools.map((pool) => pool.end()));
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        }
      });
      return {
        name: 'fleet',
        description: this.description,
        parameters: { processes, keys, creations: keys * processes, latencyMs, concurrency, repetitions },
        repetitions,
        strategies,
        notes: [
          `Each process: its own pg pool (max 10 connections) and PostgresStateStore on one shared schema; one shared PaperExchange. ` +
            `wallMs runs until all ${keys * processes} creations settled.`,
          ...[...failures].map(([name, count]) => `${name}: ${count} creation(s) rejected over all runs.`),
        ],
      };
    } finally {
      await admin.end();
    }
  },
};
