/**
 * Property: under a random storm of calls (placements, moves, cancels, lookups, at random times,
 * sent after random delays as a concurrency bound would), no window of `intervalMs` ever holds
 * more than `requests` (weighted) requests, and every call is admitted in the end. Checked on the
 * budget itself and through the gateway on a PaperExchange enforcing the same limit (which then
 * never answers 429). Fake time throughout.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testGateway } from '../support/gateway.js';
import { OrderBudget, resolveRateLimit, venueOperations, type RequestPriority, type VenueOperation } from '../../src/exchange/order-budget.js';
import { PaperExchange, systemClock, type StopOrder } from '../../src/index.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

afterEach(() => {
  vi.useRealTimers();
});

/** The most weight any window `[t, t + intervalMs)` starting at a send holds. */
function busiestWindow(sends: readonly { at: number; weight: number }[], intervalMs: number): number {
  const sorted = [...sends].sort((a, b) => a.at - b.at);
  let busiest = 0;
  for (let start = 0; start < sorted.length; start++) {
    let total = 0;
    for (let index = start; index < sorted.length && sorted[index]!.at < sorted[start]!.at + intervalMs; index++) total += sorted[index]!.weight;
    busiest = Math.max(busiest, total);
  }
  return busiest;
}

const priorities: readonly RequestPriority[] = ['protect', 'cancel', 'move', 'lookup'];

describe('the sliding window under a storm', () => {
  it('never holds more than `requests` in any window, and admits every call in the end (budget)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          requests: fc.integer({ min: 1, max: 6 }),
          intervalMs: fc.integer({ min: 20, max: 1_000 }),
          heavy: fc.constantFrom<VenueOperation | undefined>(undefined, 'openStops', 'placeStop'),
          order: fc.constantFrom<'risk' | 'arrival'>('risk', 'arrival'),
        }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 2_000 }),
            operation: fc.constantFrom(...venueOperations),
            priority: fc.constantFrom(...priorities),
            lag: fc.double({ min: 0, max: 0.1, noNaN: true }),
            sendDelay: fc.integer({ min: 0, max: 300 }),
            giveBack: fc.boolean(),
            pauseMs: fc.option(fc.integer({ min: 1, max: 500 }), { freq: 10 }),
          }),
          { maxLength: 50 },
        ),
        async (limitInput, calls) => {
          vi.useFakeTimers({ now: 0 });
          const heavyWeight = Math.min(2, limitInput.requests);
          const limit = resolveRateLimit({
            requests: limitInput.requests,
            intervalMs: limitInput.intervalMs,
            order: limitInput.order,
            weights: limitInput.heavy === undefined ? {} : { [limitInput.heavy]: heavyWeight },
          });
          const budget = new OrderBudget({ rateLimit: limit, clock: systemClock });
          const sends: { at: number; weight: number }[] = [];
          let admitted = 0;
          for (const [index, call] of calls.entries()) {
            setTimeout(() => {
              if (call.pauseMs !== null) budget.pause(Date.now() + call.pauseMs);
              const go = () => {
                admitted++;
                // Some admitted calls are not sent after all (their place is given back).
                const giveBack = call.giveBack && index % 5 === 0;
                setTimeout(() => {
                  if (giveBack) return budget.release(call.operation);
                  budget.spend(call.operation);
                  sends.push({ at: Date.now(), weight: limit.weights[call.operation] });
                }, call.sendDelay);
              };
              const waiting = budget.acquire(call.operation, call.priority, `k${index % 7}`, () => call.lag);
              if (waiting === undefined) go();
              else void waiting.then(go);
            }, call.at);
          }
          await vi.advanceTimersByTimeAsync(3_000 + (calls.length + 2) * limit.intervalMs * 2);
          vi.useRealTimers();
          expect(admitted).toBe(calls.length);
          expect(busiestWindow(sends, limit.intervalMs)).toBeLessThanOrEqual(limit.requests);
          expect(budget.stats.queued).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never lets more than `requests` reach the venue in any window, through the gateway (no 429 from a venue with the same limit)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 50, max: 500 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 1_500 }),
            kind: fc.constantFrom('create', 'move', 'remove', 'lookup'),
            symbol: fc.constantFrom('A', 'B', 'C', 'D'),
            latencyMs: fc.integer({ min: 0, max: 120 }),
          }),
          { maxLength: 40 },
        ),
        async (requests, intervalMs, concurrency, storm) => {
          vi.useFakeTimers({ now: 0 });
          const arrivals: number[] = [];
          let next = 0;
          const latencies = storm.map((step) => step.latencyMs);
          const exchange = new PaperExchange({
            amend: true,
            rateLimit: { requests, intervalMs },
            latencyMs: () => latencies[next++ % Math.max(1, latencies.length)] ?? 0,
            fault: () => void arrivals.push(Date.now()),
          });
          const gateway = testGateway(exchange, { concurrency, rateLimit: resolveRateLimit({ requests, intervalMs }) });
          const orders = new Map<string, StopOrder>();
          const work: Promise<unknown>[] = [];
          let sequence = 0;
          for (const step of storm) {
            setTimeout(() => {
              const order = orders.get(step.symbol);
              const clientOrderId = `tsr-${step.symbol}-${++sequence}`;
              const request = { symbol: step.symbol, side: 'sell' as const, quantity: 1, stopPrice: 50 + sequence, clientOrderId };
              let call: Promise<unknown>;
              if (step.kind === 'create' || (step.kind === 'move' && order === undefined)) {
                call = gateway.placeStop(request, step.symbol).then((placed) => orders.set(step.symbol, placed));
              } else if (step.kind === 'move') {
                call = gateway
                  .placeStop(request, step.symbol, { priority: 'move', lag: () => 0.01 })
                  .then((placed) => (orders.set(step.symbol, placed), gateway.cancelStop(order!, step.symbol)));
              } else if (step.kind === 'remove' && order !== undefined) {
                orders.delete(step.symbol);
                call = gateway.cancelStop(order, step.symbol);
              } else {
                call = gateway.openStops([step.symbol]);
              }
              work.push(call.catch(() => {}));
            }, step.at);
          }
          await vi.advanceTimersByTimeAsync(2_000 + (storm.length * 3 + 2) * intervalMs);
          await Promise.all(work);
          vi.useRealTimers();
          expect(exchange.rateLimited).toBe(0);
          expect(busiestWindow(arrivals.map((at) => ({ at, weight: 1 })), intervalMs)).toBeLessThanOrEqual(requests);
        },
      ),
      { numRuns: 100 },
    );
  });
});
