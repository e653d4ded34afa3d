/**
 * `recovery`: a restart. N stops on N / 20 symbols (10,000 on 500) were created by a registry that
 * then stopped; a new registry on the same database and the same venue calls `restore()`, which
 * loads every record and reconciles with the venue (holding all N orders). The venue answers at
 * once (0 latency), so `wallMs` measures the library and the store, and it lists open stops per
 * symbol, as Binance and Bybit do (a listing answers only the symbols asked for). The registry has
 * a `rateLimit` that does not bind at 0 latency (the listings of a per-symbol venue take
 * symbols / rate seconds whatever the library does), and the busiest second of venue requests is
 * checked against it. Strategies: the store and N, `sqlite-1000`, `sqlite-10000` (a file
 * database, WAL), and `postgres-1000`, `postgres-10000` when DATABASE_URL is set (a fresh schema
 * each, dropped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PaperExchange } from '../../src/placers/paper.js';
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { PostgresStateStore } from '../../src/stores/postgres.js';
import type { StateStore } from '../../src/ports/state-store.js';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import type { CreateStopSpec } from '../../src/policy/create-spec.js';
import { countingStore } from '../support/counting-store.js';
import { totalCalls } from '../support/placers.js';
import { now } from '../support/timing.js';
import { repeat, type Scenario } from './scenario.js';

const sizes = [1_000, 10_000] as const;
const stopsPerSymbol = 20;
const rateLimit = { requests: 1_000, intervalMs: 1_000 } as const;
const owner = 'bench-recovery';

/** A database that survives the restart: the first connection sets up, `reopen()` is the restarted process's. */
interface Database_ {
  readonly store: StateStore;
  reopen(): Promise<StateStore>;
  close(): Promise<void>;
}

function sqliteDatabase(): Database_ {
  const directory = mkdtempSync(join(tmpdir(), 'tsr-bench-recovery-'));
  const file = join(directory, 'stops.db');
  const connections = [new Database(file)];
  return {
    store: new SqliteStateStore({ database: connections[0]! }),
    async reopen() {
      const connection = new Database(file);
      connections.push(connection);
      return new SqliteStateStore({ database: connection });
    },
    async close() {
      for (const connection of connections) connection.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function postgresDatabase(url: string): Promise<Database_> {
  const schema = `tsr_bench_${randomBytes(6).toString('hex')}`;
  const pools = [new pg.Pool({ connectionString: url, max: 10 })];
  const first = new PostgresStateStore({ client: pools[0]!, schema });
  await first.migrate();
  return {
    store: first,
    async reopen() {
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      pools.push(pool);
      return new PostgresStateStore({ client: pool, schema });
    },
    async close() {
      await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
}

/** The paper venue, listing per symbol: `openStops` answers the orders of the symbols asked for only. */
function perSymbolVenue(venue: PaperExchange): OrderPlacer {
  return {
    capabilities: venue.capabilities,
    placeStop: (request, options) => venue.placeStop(request, options),
    cancelStop: (order, options) => venue.cancelStop(order, options),
    findStop: (query, options) => venue.findStop!(query, options),
    openStops: async (options) => {
      const orders = await venue.openStops(options);
      const symbols = options.symbols === undefined || options.symbols.length === 0 ? undefined : new Set(options.symbols);
      return symbols === undefined ? orders : orders.filter((order) => symbols.has(order.symbol));
    },
  };
}

function specs(count: number): CreateStopSpec[] {
  return Array.from({ length: count }, (_, index) => {
    const symbol = `R${String(Math.floor(index / stopsPerSymbol)).padStart(3, '0')}`;
    return { key: `${symbol}:${index % stopsPerSymbol}`, symbol, side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 };
  });
}

/** The most arrivals in any window of `intervalMs`. */
function busiestWindow(times: readonly number[], intervalMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + intervalMs) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

interface RecoveryRun {
  readonly wallMs: number;
  readonly venueRequests: number;
  readonly storeRoundTrips: number;
  readonly busiestSecond: number;
  readonly actions: Record<string, number>;
  readonly setupMs: number;
}

async function runRecovery(database: Database_, count: number): Promise<RecoveryRun> {
  const arrivals: number[] = [];
  let recording = false;
  const venue = new PaperExchange({ fault: () => void (recording && arrivals.push(now())) });
  const setupStarted = now();
  const before = new TrailingStopRegistry({ placer: venue, store: database.store, owner, concurrency: 50 });
  const created = await before.createMany(specs(count));
  const rejected = created.filter((result) => result.status === 'rejected').length;
  if (rejected > 0) throw new Error(`recovery: ${rejected} of ${count} setup creations failed`);
  await before.close();
  if (venue.liveOrders().length !== count) throw new Error(`recovery: the venue holds ${venue.liveOrders().length} orders for ${count} stops`);
  const setupMs = now() - setupStarted;

  // The restarted process: a new connection, a new registry; the venue still holds every order.
  const { store, counter } = countingStore(await database.reopen());
  const registry = new TrailingStopRegistry({ placer: perSymbolVenue(venue), store, owner, rateLimit });
  const callsBefore = totalCalls(venue);
  recording = true;
  const started = now();
  const report = await registry.restore();
  const wallMs = now() - started;
  recording = false;
  const venueRequests = totalCalls(venue) - callsBefore;
  const storeRoundTrips = counter.count;
  if (report.restored.length !== count) throw new Error(`recovery: restored ${report.restored.length} of ${count} stops`);
  const actions: Record<string, number> = {};
  for (const action of report.reconciliation?.actions ?? []) actions[action.action] = (actions[action.action] ?? 0) + 1;
  await registry.close();
  await store.close();
  return { wallMs, venueRequests, storeRoundTrips, busiestSecond: busiestWindow(arrivals, rateLimit.intervalMs), actions, setupMs };
}

export const recovery: Scenario = {
  name: 'recovery',
  description: 'restore() and reconciliation of N stops after a restart, venue at 0 latency: wall time, venue requests, store round trips',
  async run(context) {
    const databaseUrl = process.env.DATABASE_URL;
    const kinds = databaseUrl ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);
    const names = kinds.flatMap((kind) => sizes.map((size) => `${kind}-${size}`));
    const repetitions = context.quick ? 1 : 3;
    const details = new Map<string, RecoveryRun>();
    // One untimed run first, so the first timed one does not pay for the JIT warming up.
    context.progress('recovery: warm-up');
    const warmUp = sqliteDatabase();
    try {
      await runRecovery(warmUp, sizes[0]);
    } finally {
      await warmUp.close();
    }
    const strategies = await repeat(context, 'recovery', names, repetitions, async (name) => {
      const [kind, size] = name.split('-') as ['sqlite' | 'postgres', string];
      const database = kind === 'sqlite' ? sqliteDatabase() : await postgresDatabase(databaseUrl!);
      try {
        const run = await runRecovery(database, Number(size));
        details.set(name, run);
        return { wallMs: run.wallMs, venueRequests: run.venueRequests, storeRoundTrips: run.storeRoundTrips };
      } finally {
        await database.close();
      }
    });
    const describe = (name: string) => {
      const run = details.get(name)!;
      const actions = Object.entries(run.actions).map(([action, count]) => `${action} ${count}`).join(', ') || 'none';
      return `${name}: reconciliation actions: ${actions}; busiest second ${run.busiestSecond} venue request(s) (rateLimit ${rateLimit.requests}/s); setup ${(run.setupMs / 1_000).toFixed(1)} s.`;
    };
    return {
      name: 'recovery',
      description: this.description,
      parameters: {
        stops: sizes.join(' and '),
        stopsPerSymbol,
        latencyMs: 0,
        rateLimitRequests: rateLimit.requests,
        rateLimitIntervalMs: rateLimit.intervalMs,
        stores: kinds.join(', '),
        warmUp: true,
        repetitions,
      },
      repetitions,
      strategies,
      notes: [
        'A registry creates N stops (each with an initial stop order on the PaperExchange) in a file database and closes; a new registry, ' +
          'on a new connection to the same database, runs restore(): load every record, then reconcile with the venue. ' +
          'wallMs is restore() alone; venueRequests are the venue calls it made (the venue lists open stops per symbol, as Binance and Bybit do); ' +
          'storeRoundTrips its loads, lists, inserts, compare-and-sets and deletes.',
        `With a binding budget the listings alone take symbols / rate: 500 symbols at Binance's 200 per 10 s take 25 s, at Bybit's 10 per s 50 s.`,
        ...(databaseUrl ? [] : ['PostgreSQL skipped: no DATABASE_URL (`scripts/with-postgres.sh npm run bench -- --only recovery`).']),
        ...names.map(describe),
      ],
    };
  },
};
