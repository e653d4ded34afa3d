/**
 * A wave: 20 signals open positions at once while the exchange takes 100 ms per call. Creations
 * overlap up to `concurrency`; one failure (a rejected order) is reported without stopping the rest.
 * Run: npx tsx examples/wave.ts
 */
import { ExchangeRejectedError, PaperExchange, TrailingStopRegistry } from '../src/index.js';

const exchange = new PaperExchange({
  latencyMs: 100,
  // The venue refuses one symbol: that position is reported, never silently left unprotected.
  fault: (call) => (call.symbol === 'DOGEUSDT' && call.operation === 'placeStop' ? new ExchangeRejectedError('Margin is insufficient') : undefined),
});
const registry = new TrailingStopRegistry({ placer: exchange, concurrency: 5, callbackPercent: 1 });
registry.on('failed', ({ stop, error }) => console.log(`UNPROTECTED ${stop.key}: ${error.message}`));

const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', ...Array.from({ length: 16 }, (_, index) => `ALT${index}USDT`)];
const started = performance.now();
const results = await registry.createMany(
  symbols.map((symbol, index) => ({ symbol, side: 'long' as const, entryPrice: 10 + index, quantity: 1, stopLossPercent: 3 })),
);
const elapsed = performance.now() - started;
const fulfilled = results.filter((result) => result.status === 'fulfilled').length;
console.log(`${fulfilled}/${symbols.length} protected in ${elapsed.toFixed(0)} ms (serially: ${symbols.length * 100} ms)`);
console.log(`at most ${exchange.maxInFlight} exchange calls at once; failed stops visible:`, registry.list().filter((stop) => stop.state === 'failed').map((stop) => stop.key));
await registry.close();
