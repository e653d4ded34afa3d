/**
 * `npm run demo`: what the library is for, in one minute of simulation.
 *
 * Part 1, the wave: 50 positions open at once on a PaperExchange that answers each call after
 * 40-80 ms, and two callers race for every stop (a signal handler and a position watcher, say).
 * Every position gets exactly one stop; the wave takes about ceil(50 / concurrency) x latency,
 * where one global lock around the exchange call (the seed bot) would have needed the sum.
 *
 * Part 2, trailing: a few of those positions ride a simulated price path; stops activate, move
 * on the venue (make-before-break), and trigger.
 */
import { MemoryStateStore, PaperExchange, TrailingStopRegistry } from '../src/index.js';

const positions = 50;
const concurrency = 10;
const latency = (sequence: number) => 40 + ((sequence * 7919) % 41); // 40-80 ms, deterministic

const exchange = new PaperExchange({ latencyMs: (call) => latency(call.sequence) });
const registry = new TrailingStopRegistry({
  placer: exchange,
  store: new MemoryStateStore(),
  concurrency,
  activationPercent: 1,
  callbackPercent: 0.8,
  minUpdateIntervalMs: 100,
});

const isTerminal = process.stdout.isTTY === true;
function progress(done: number): void {
  const line = `  protecting positions: ${done}/${positions} done, ${exchange.inFlight} exchange calls in flight`;
  if (isTerminal) process.stdout.write(`\r${line}`);
}

console.log(`Part 1 - a wave of ${positions} new positions, 2 callers each, concurrency ${concurrency}, exchange latency 40-80 ms\n`);
let done = 0;
const started = performance.now();
const specs = Array.from({ length: positions }, (_, index) => ({
  symbol: `COIN${String(index).padStart(2, '0')}USDT`,
  side: index % 3 === 0 ? ('short' as const) : ('long' as const),
  entryPrice: 10 + index,
  quantity: 1 + (index % 4),
  stopLossPercent: 2,
  tickSize: 0.001,
}));
const timer = setInterval(() => progress(done), 50);
const results = await Promise.allSettled(
  specs.map((spec) =>
    // Two callers race for each stop; single flight makes them share one creation.
    Promise.all([registry.create(spec), registry.create(spec)]).finally(() => {
      done++;
      progress(done);
    }),
  ),
);
clearInterval(timer);
const wallMs = performance.now() - started;
if (isTerminal) process.stdout.write('\n');
const protectedCount = registry.list().filter((stop) => stop.order !== null).length;
const failures = results.filter((result) => result.status === 'rejected').length;
const callers = positions * 2;
const serialMs = exchange.allOrders().reduce((sum, _order, index) => sum + latency(index + 1), 0);
const stats = registry.stats;
console.log(`  positions protected     ${protectedCount}/${positions} (${callers} callers, ${failures} failed)`);
console.log(`  orders on the venue     ${exchange.liveOrders().length} live, ${exchange.allOrders().length} ever placed (duplicates: ${exchange.allOrders().length - positions})`);
console.log(`  exchange calls          ${stats.exchangeCalls}, at most ${exchange.maxInFlight} at once`);
console.log(`  coalesced callers       ${stats.coalesced} (joined a creation already in flight)`);
console.log(`  wall time               ${wallMs.toFixed(0)} ms`);
console.log(`  one global lock         ${serialMs} ms (every placement waits for the previous one)`);
console.log(`  speed-up                ${(serialMs / wallMs).toFixed(1)}x\n`);

console.log('Part 2 - trailing: three positions ride a price path\n');
const riders = ['COIN01USDT', 'COIN02USDT', 'COIN03USDT'];
const stops = riders.map((symbol) => registry.get(symbol)!);
registry.on('activated', ({ stop }) => console.log(`  ${stop.symbol}  activated at best ${stop.bestPrice}, stop ${stop.stopPrice}`));
registry.on('stopSynced', ({ stop, order }) => console.log(`  ${stop.symbol}  venue stop moved to ${order.stopPrice} (${order.clientOrderId})`));
registry.on('triggered', (event) =>
  console.log(`  ${event.stop.symbol}  TRIGGERED at ${event.price} (stop ${event.stop.stopPrice}, reason ${event.reason})`),
);
// A deterministic path in steps of 0.5 %: up 6 %, a pullback, up to 9 %, then a slide through the stop.
const ramp = (from: number, to: number) =>
  Array.from({ length: Math.abs(to - from) * 2 + 1 }, (_, index) => from + Math.sign(to - from) * index * 0.5);
const path = [...ramp(0, 6), ...ramp(6, 5), ...ramp(5, 9), ...ramp(9, 6)];
for (const step of path) {
  for (const [index, symbol] of riders.entries()) {
    const stop = stops[index]!;
    const direction = stop.side === 'long' ? 1 : -1;
    const price = Number((stop.entryPrice * (1 + (direction * step) / 100)).toFixed(3));
    exchange.setPrice(symbol, price);
    registry.updatePrice(symbol, price);
  }
  await new Promise((resolve) => setTimeout(resolve, 120));
}
await registry.onIdle();
for (const stop of stops) {
  console.log(`  ${stop.symbol}  ${stop.side.padEnd(5)} entry ${stop.entryPrice}  state ${stop.state.padEnd(9)}  stop ${stop.stopPrice}`);
}
const final = registry.stats;
console.log(`\n  stop moves decided ${final.moves}, exchange calls ${final.exchangeCalls}, unprotected time ${final.unprotectedMs} ms (make-before-break)`);
await registry.close();
