/**
 * Scenario: protect an open Binance USDⓈ-M futures position with a trailing stop kept on the
 * exchange, fed by ccxt's live ticker.
 *
 *   BINANCE_API_KEY=... BINANCE_API_SECRET=... tsx examples/binance-futures.ts --sandbox \
 *     --symbol BTC/USDT:USDT --side long --quantity 0.002 --entry 65000
 *
 * Options: --symbol (default BTC/USDT:USDT), --side long|short (default long), --quantity
 * (default 0.001), --entry (default: the current price), --stop-loss percent (default 2),
 * --callback percent (default 1), --activation percent (default 1), --sandbox (Binance's demo
 * trading environment, no real funds).
 *
 * The position itself must already exist: the registry only places and moves its reduce-only
 * protective stop. Ctrl-C stops the price feed and closes the registry; the last stop stays on
 * the exchange, so the position remains protected after the process exits.
 *
 * Exit codes: 0 after Ctrl-C or once the stop triggered, 1 on a failure, 2 on bad usage (missing
 * keys or options).
 */
import { parseArgs } from 'node:util';
import ccxt from 'ccxt';
import { TrailingStopRegistry, type Logger } from '../src/index.js';
import { CcxtOrderPlacer } from '../src/placers/ccxt.js';

function usage(message: string): never {
  console.error(`binance-futures: ${message}`);
  console.error('Usage: BINANCE_API_KEY=... BINANCE_API_SECRET=... tsx examples/binance-futures.ts [--sandbox] [--symbol S] [--side long|short] [--quantity Q] [--entry P]');
  process.exit(2);
}

const apiKey = process.env.BINANCE_API_KEY;
const secret = process.env.BINANCE_API_SECRET;
if (!apiKey || !secret) {
  usage('BINANCE_API_KEY and BINANCE_API_SECRET must be set; refusing to start without API keys (use demo-trading keys with --sandbox)');
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        sandbox: { type: 'boolean', default: false },
        symbol: { type: 'string', default: 'BTC/USDT:USDT' },
        side: { type: 'string', default: 'long' },
        quantity: { type: 'string', default: '0.001' },
        entry: { type: 'string' },
        'stop-loss': { type: 'string', default: '2' },
        callback: { type: 'string', default: '1' },
        activation: { type: 'string', default: '1' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();

const side = values.side === 'long' || values.side === 'short' ? values.side : usage(`--side must be long or short, got ${values.side}`);
const symbol = values.symbol;
const number = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) usage(`--${name} must be a positive number, got ${text}`);
  return value;
};
const quantity = number('quantity', values.quantity);
const stopLossPercent = number('stop-loss', values['stop-loss']);
const callbackPercent = number('callback', values.callback);
const activationPercent = number('activation', values.activation);

// ccxt.pro classes do REST as well and add watchTicker; the REST class would need polling.
const exchange = new ccxt.pro.binanceusdm({ apiKey, secret });
if (values.sandbox) {
  // ccxt (>= 4.5) refuses Binance's retired futures testnet and points to demo trading instead.
  if (typeof exchange.enableDemoTrading === 'function') exchange.enableDemoTrading(true);
  else exchange.setSandboxMode(true);
}

const logger: Logger = {
  debug() {},
  info: (message, context) => console.log(message, context ?? ''),
  warn: (message, context) => console.warn(message, context ?? ''),
  error: (message, context) => console.error(message, context ?? ''),
};

async function main(): Promise<void> {
  await exchange.loadMarkets();
  const market = exchange.market(symbol);
  const placer = new CcxtOrderPlacer(exchange, { triggerPriceType: 'mark', symbols: [symbol], logger });
  const registry = new TrailingStopRegistry({ placer, logger });

  registry.on('created', ({ stop }) => console.log(`created: stop ${stop.stopPrice} for ${stop.key}, activation at ${stop.activationPrice}`));
  registry.on('activated', ({ stop }) => console.log(`activated at best price; trailing ${stop.key}`));
  registry.on('stopMoved', (event) => console.log(`stop moved ${event.previousStopPrice} -> ${event.stopPrice}`));
  registry.on('stopSynced', ({ order }) => console.log(`exchange holds order ${order.id} at ${order.stopPrice}`));
  registry.on('failed', (event) => console.error(`NOT PROTECTED as intended: ${event.error.message}`));
  registry.on('error', ({ error, operation }) => console.error(`${operation}: ${error.message}`));

  let running = true;
  const stop = async (code: number) => {
    running = false;
    await registry.close();
    await exchange.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  registry.on('triggered', (event) => {
    console.log(`triggered at ${event.price} (${event.reason})`);
    void stop(0);
  });

  const entryPrice = values.entry === undefined ? Number((await exchange.fetchTicker(symbol)).last) : number('entry', values.entry);
  const created = await registry.create({
    symbol,
    side,
    entryPrice,
    quantity,
    stopLossPercent,
    callbackPercent,
    activationPercent,
    ...(market.precision.price === undefined ? {} : { tickSize: market.precision.price }),
  });
  console.log(`protecting ${side} ${quantity} ${symbol} from ${entryPrice}: stop ${created.stopPrice}`);

  // The stop triggers on the venue's mark price (triggerPriceType: 'mark'): feed the registry the
  // same price, or a last-price wick the venue never triggers on makes it ask the venue for nothing.
  if (exchange.has['watchMarkPrice']) {
    while (running) {
      const ticker = await exchange.watchMarkPrice(symbol);
      if (typeof ticker.markPrice === 'number') registry.updatePrice(symbol, ticker.markPrice, ticker.timestamp ?? undefined);
    }
  } else {
    while (running) {
      const ticker = await exchange.fetchMarkPrice(symbol);
      if (typeof ticker.markPrice === 'number') registry.updatePrice(symbol, ticker.markPrice, ticker.timestamp ?? undefined);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

main().catch(async (error: unknown) => {
  // Errors from the registry and the adapter are already sanitized; ccxt's own (loadMarkets,
  // fetchTicker) can carry signed URLs, so only their class name and first line are printed.
  const message = error instanceof Error ? `${error.name}: ${error.message.split('?')[0]}` : String(error);
  console.error(`binance-futures: ${message}`);
  await exchange.close().catch(() => {});
  process.exit(1);
});
