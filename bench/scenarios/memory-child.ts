/**
 * The memory scenario's measuring process, started by scenarios/memory.ts as
 * `node --expose-gc --import tsx bench/scenarios/memory-child.ts <stops> [memory|remote]`; prints
 * one JSON line.
 *
 * Measures the heap a registry retains per live stop: heapUsed after full collections, before and
 * after creating `<stops>` stops, divided by `<stops>`. The registry and 1,000 warm-up stops exist
 * before the first reading, so code, compiled functions and one-time structures are not counted.
 * Each stop is a real one: waiting for activation, protected by an initial stop order, its record
 * in the registry's default in-memory store. The venue keeps nothing in this process (as a real
 * exchange would not), so only the bot's side is measured. With `remote`, the records go to a store
 * that keeps nothing in this process either (as PostgreSQL would): the registry alone.
 */
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import { RemoteVenue } from '../support/placers.js';
import { RemoteStore } from '../support/stores.js';
import { collectGarbage, gcExposed } from '../support/timing.js';

const stops = Number(process.argv[2] ?? 100_000);
const storeMode = process.argv[3] ?? 'memory';
const batch = 1_000;

function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

async function createStops(registry: TrailingStopRegistry, from: number, count: number): Promise<void> {
  for (let start = from; start < from + count; start += batch) {
    const size = Math.min(batch, from + count - start);
    const specs = Array.from({ length: size }, (_, offset) => ({
      symbol: `MEM${start + offset}`,
      side: 'long' as const,
      entryPrice: 100,
      quantity: 1,
      stopLossPercent: 2,
    }));
    const results = await registry.createMany(specs);
    if (results.some((result) => result.status === 'rejected')) throw new Error('memory: a creation failed');
  }
  await registry.onIdle();
}

if (!gcExposed) throw new Error('memory-child: run with --expose-gc');
const registry = new TrailingStopRegistry({
  placer: new RemoteVenue(),
  ...(storeMode === 'remote' ? { store: new RemoteStore() } : {}),
  concurrency: 50,
  owner: 'bench',
});
await createStops(registry, 0, 1_000);
const before = heapUsed();
await createStops(registry, 1_000, stops);
const after = heapUsed();
const live = registry.list().filter((stop) => stop.state === 'waiting' || stop.state === 'active').length;
process.stdout.write(`${JSON.stringify({ bytesPerStop: (after - before) / stops, before, after, stops, live: live - 1_000 })}\n`);
