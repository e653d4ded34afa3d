/**
 * Scenario: a bot restarts, and its stops come back, checked against the exchange.
 *
 *   npx tsx examples/sqlite-restart.ts
 *
 * 1. The bot opens three positions and protects them; state goes to an SQLite file.
 * 2. It exits. While it is down, things happen on the exchange: someone cancels the ETH stop by
 *    hand, SOL falls through its stop (the exchange fills it), and an order an older run left
 *    behind is still open.
 * 3. It starts again: `restore()` loads the file and reconciles with the exchange, re-placing the
 *    ETH stop, finalizing SOL, and cancelling the orphan. BTC keeps trailing.
 *
 * The exchange is a PaperExchange that outlives the bot process, as a real venue does. Replace it
 * with `new CcxtPlacer(...)` (trailing-stop-registry/ccxt) to run against a real account.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PaperExchange, TrailingStopRegistry, type CreateStopSpec } from '../src/index.js';
import { SqliteStateStore } from '../src/stores/sqlite.js';

const directory = mkdtempSync(join(tmpdir(), 'tsr-sqlite-restart-'));
const file = join(directory, 'trailing-stops.db');
const exchange = new PaperExchange();
const never = new AbortController().signal;

/** One run of the bot: a registry on the SQLite file. */
function startBot(): { registry: TrailingStopRegistry; stop: () => Promise<void> } {
  const database = new Database(file);
  const store = new SqliteStateStore({ database });
  const registry = new TrailingStopRegistry({ placer: exchange, store, owner: 'bot-1', callbackPercent: 1 });
  registry.on('reconciled', (event) => console.log(`  reconciled ${event.action.padEnd(15)} ${event.key ?? '(no record)'}: ${event.detail}`));
  registry.on('triggered', (event) => console.log(`  triggered       ${event.stop.key} at ${event.price} (${event.reason})`));
  registry.on('error', ({ error, key }) => console.log(`  error           ${key ?? ''} ${error.message}`));
  return {
    registry,
    stop: async () => {
      await registry.close();
      await store.close();
      database.close();
    },
  };
}

function show(registry: TrailingStopRegistry): void {
  for (const stop of registry.list()) {
    const order = stop.order === null ? 'no order' : `order ${stop.order.id} at ${stop.order.stopPrice}`;
    console.log(`  ${stop.key.padEnd(4)} ${stop.state.padEnd(9)} stop ${String(stop.stopPrice).padEnd(7)} ${order}`);
  }
  const live = exchange.liveOrders();
  console.log(`  exchange: ${live.length} open stop(s): ${live.map((order) => `${order.symbol}@${order.stopPrice}`).join(', ')}`);
}

const position = (symbol: string, entryPrice: number): CreateStopSpec => ({
  symbol,
  side: 'long',
  entryPrice,
  quantity: 1,
  stopLossPercent: 2,
});

try {
  console.log(`First run (state in ${file})`);
  const first = startBot();
  await first.registry.createMany([position('BTC', 100), position('ETH', 50), position('SOL', 20)]);
  first.registry.updatePrice('BTC', 103); // activates BTC's trailing: its stop moves up to 101.97
  await first.registry.onIdle();
  show(first.registry);
  await first.stop();
  console.log('The bot exits.\n');

  console.log('While it is down:');
  const eth = exchange.liveOrders('ETH')[0]!;
  exchange.cancelByHand(eth.id);
  console.log(`  someone cancels the ETH stop ${eth.id} by hand`);
  const filled = exchange.setPrice('SOL', 19);
  console.log(`  SOL falls to 19: the exchange fills its stop ${filled.map((order) => order.id).join(', ')}`);
  const orphan = await exchange.placeStop(
    { symbol: 'BTC', side: 'sell', quantity: 1, stopPrice: 90, clientOrderId: 'tsr-BTC-from0ld0run-1' },
    { signal: never },
  );
  console.log(`  an older run's order ${orphan.clientOrderId} is still open\n`);

  console.log('Second run: restore() and reconcile');
  const second = startBot();
  const report = await second.registry.restore({ prices: { BTC: 103, ETH: 51, SOL: 19 } });
  await second.registry.onIdle();
  console.log(`  restored ${report.restored.join(', ')}; ${report.corrupt.length} corrupt record(s); ${report.reconciliation?.actions.length ?? 0} reconciliation action(s)`);
  show(second.registry);

  console.log('\nBTC keeps trailing after the restart:');
  second.registry.updatePrice('BTC', 110);
  await second.registry.onIdle();
  show(second.registry);

  const again = await second.registry.reconcile();
  console.log(`\nA second reconcile finds ${again.actions.length} thing(s) to do.`);
  await second.stop();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
