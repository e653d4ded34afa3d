/**
 * One bot process for the many-process test: a real, separate Node process (started with
 * `fork(..., { execArgv: ['--import', 'tsx'] })`) with its own pg Pool and owner id, sharing the
 * parent's paper venue through an {@link IpcPlacer}.
 *
 * Environment: DATABASE_URL, TSR_SCHEMA (the shared schema), TSR_OWNER (this process's owner id).
 * Protocol: the child sends `ready` once its store is migrated; on `go` (with the keys) it creates
 * every key at once, waits until idle, sends `result`, closes everything and exits.
 */
import pg from 'pg';
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import { PostgresStateStore } from '../../src/stores/postgres.js';
import { IpcPlacer } from './ipc-placer.js';

/** Parent to child: start the wave. */
export interface GoMessage {
  readonly kind: 'go';
  readonly keys: readonly string[];
}

/** What one child saw for one key. */
export interface ChildStop {
  readonly key: string;
  readonly positionId: string;
  readonly state: string;
  readonly orderId: string | null;
  readonly clientOrderId: string | null;
}

/** Child to parent. */
export type ChildMessage =
  | { readonly kind: 'ready'; readonly owner: string }
  | {
      readonly kind: 'result';
      readonly owner: string;
      readonly stops: readonly ChildStop[];
      readonly failures: readonly string[];
      readonly created: number;
      readonly adopted: number;
      readonly racesLost: number;
      readonly compensated: number;
    }
  | { readonly kind: 'fatal'; readonly owner: string; readonly message: string };

const owner = process.env.TSR_OWNER ?? `child-${process.pid}`;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const connectionString = process.env.DATABASE_URL;
  const schema = process.env.TSR_SCHEMA;
  if (connectionString === undefined || schema === undefined) throw new Error('DATABASE_URL and TSR_SCHEMA must be set');
  const pool = new pg.Pool({ connectionString, max: 4 });
  const store = new PostgresStateStore({ client: pool, schema });
  await store.migrate();
  const placer = new IpcPlacer();
  const registry = new TrailingStopRegistry({ placer, store, owner, concurrency: 8, claimPollMs: 5, leaseMs: 60_000 });
  const go = await new Promise<GoMessage>((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'go') {
        process.off('message', onMessage);
        resolve(message as GoMessage);
      }
    };
    process.on('message', onMessage);
    send({ kind: 'ready', owner });
  });

  const results = await registry.createMany(
    go.keys.map((key) => ({ symbol: key, side: 'long' as const, entryPrice: 100, quantity: 1, stopLossPercent: 2 })),
  );
  await registry.onIdle();
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${go.keys[index]}: ${(result.reason as Error)?.message ?? String(result.reason)}`] : [],
  );
  const stops: ChildStop[] = go.keys.flatMap((key) => {
    const stop = registry.get(key);
    return stop === undefined
      ? []
      : [{ key, positionId: stop.positionId, state: stop.state, orderId: stop.order?.id ?? null, clientOrderId: stop.order?.clientOrderId ?? null }];
  });
  const stats = registry.stats;
  send({ kind: 'result', owner, stops, failures, created: stats.created, adopted: stats.adopted, racesLost: stats.racesLost, compensated: stats.compensated });
  await registry.close();
  await store.close();
  await pool.end();
  placer.close();
  process.disconnect?.();
}

main().catch((error: unknown) => {
  send({ kind: 'fatal', owner, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
