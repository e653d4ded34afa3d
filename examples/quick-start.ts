/**
 * Quick start: one registry on the built-in paper exchange, one position, a few prices. This is
 * README's quick start, word for word (a test keeps them equal); run it with
 * `npx tsx examples/quick-start.ts`.
 */
import { PaperExchange, TrailingStopRegistry } from '../src/index.js';

const exchange = new PaperExchange({ latencyMs: 20 }); // swap in CcxtOrderPlacer for a real venue
const registry = new TrailingStopRegistry({
  placer: exchange,
  activationPercent: 1, // start trailing once the position is 1 % in profit
  callbackPercent: 0.5, // then keep the stop 0.5 % below the best price
  minUpdateIntervalMs: 0, // move the venue's stop on every improvement (default: at most once a second)
});

registry.on('stopMoved', ({ stop, stopPrice }) => console.log(`${stop.key}: stop -> ${stopPrice}`));
registry.on('triggered', ({ stop, price }) => console.log(`${stop.key}: triggered at ${price}`));

// Opened a long: protect it with a 2 % initial stop, placed on the venue before create() resolves.
const stop = await registry.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 60_000, quantity: 0.01, stopLossPercent: 2, tickSize: 0.1 });
console.log(`created: ${stop.state}, stop ${stop.stopPrice}, order ${stop.order?.clientOrderId}`);

// Feed prices from your websocket: synchronous, cheap when nothing changes.
for (const price of [60_300, 60_700, 61_200, 61_000, 61_500, 61_100]) {
  exchange.setPrice('BTCUSDT', price);
  registry.updatePrice('BTCUSDT', price);
  await registry.onIdle(); // here: let the exchange catch up, as real ticks arrive over time
}
console.log(`final: ${stop.state}, stop ${stop.stopPrice}, venue order at ${stop.order?.stopPrice}`);

// Position closed by the bot? Remove the stop: its order is cancelled, its record deleted.
await registry.remove('BTCUSDT');
await registry.close();
