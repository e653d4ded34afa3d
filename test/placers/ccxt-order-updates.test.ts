/**
 * ccxt order structures to OrderUpdate. Every order structure here is made by ccxt itself: the raw
 * user-data stream messages of the fixtures (shaped as the venues' documentation shows; each
 * fixture names its pages) go through the ccxt pro instance's own `handleMessage`, and what ccxt
 * hands to `watchOrders` callers is mapped. The loop over `watchOrders` runs a real ccxt pro
 * instance against a loopback websocket server that speaks the venue's protocol.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Algo-Order-Update
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Order-Update
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Start-User-Data-Stream
 * @see https://bybit-exchange.github.io/docs/v5/websocket/private/order
 * @see https://bybit-exchange.github.io/docs/v5/enum#orderstatus
 * @see https://bybit-exchange.github.io/docs/v5/ws/connect
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-ws-algo-orders-channel
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-trade-ws-order-channel
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import ccxt from 'ccxt';
import {
  createCcxtOrderUpdateMapper,
  orderUpdateFromCcxt,
  verifiedOrderStreams,
  watchCcxtOrders,
  type CcxtOrderStreamLike,
  type CcxtOrderUpdateLike,
} from '../../src/placers/ccxt/order-updates.js';
import { venueProfiles } from '../../src/placers/ccxt.js';
import { ExchangeUnavailableError } from '../../src/errors.js';
import { SanitizedCcxtError } from '../../src/placers/ccxt/errors.js';
import type { OrderUpdate } from '../../src/ports/order-placer.js';
import { readFixture } from '../support/ccxt-markets.js';
import { testCredentials } from '../support/scripted-venue.js';

type Message = Record<string, unknown>;
type BinanceStream = Record<
  'triggeredAndFilled' | 'triggeredNotFilled' | 'triggeredPartlyFilled' | 'triggeredOrderWithoutClientId' | 'cancelled' | 'expired' | 'rejected',
  Message[]
>;
type BybitStream = Record<'triggeredAndFilled' | 'deactivated' | 'triggeredPartlyFilledThenCancelled' | 'rejected', Message[]>;
type OkxStream = Record<'triggeredAndFilled' | 'cancelled', Message[]>;

const binanceStream = readFixture<BinanceStream>('binanceusdm-stream-algo-stop.json');
const bybitStream = readFixture<BybitStream>('bybit-stream-conditional-stop.json');
const okxStream = readFixture<OkxStream>('okx-stream-algo-stop.json');

const symbol = 'BTC/USDT:USDT';
const algoClientId = 'tsr-BTCUSDT-0a1b2c3d4e-1';
const algoId = '1000000033225453';
const triggeredOrderId = '88937381063';
const t = 1765431090000;

/** A ccxt pro instance as a bot would make one (markets from the fixture, no network). */
interface ProInstance extends CcxtOrderStreamLike {
  urls: { api: { ws: Record<string, unknown> } };
  options: Record<string, unknown>;
  fetchImplementation: unknown;
  handleMessage(client: unknown, message: unknown): void;
  setMarkets(markets: unknown): unknown;
  close(): Promise<unknown>;
}

const opened: ProInstance[] = [];

function proInstance(id: 'binanceusdm' | 'bybit' | 'okx'): ProInstance {
  const Exchange = ccxt.pro[id] as unknown as new (config: Record<string, unknown>) => ProInstance;
  const exchange = new Exchange({
    apiKey: testCredentials.apiKey,
    secret: testCredentials.secret,
    ...(id === 'okx' ? { password: 'LEAKCHECKpassphraseOKX' } : {}),
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  if (id === 'okx') {
    // Markets parsed by ccxt from OKX's documented instruments body (contract size 0.01 BTC).
    const body = readFixture<{ data: Record<string, unknown>[] }>('okx-instruments.json');
    const parse = (exchange as unknown as { parseMarket(instrument: unknown): unknown }).parseMarket.bind(exchange);
    exchange.setMarkets(body.data.map((instrument) => parse(instrument)));
  } else {
    exchange.setMarkets(readFixture(id === 'bybit' ? 'bybit-markets.json' : 'binanceusdm-markets.json'));
  }
  opened.push(exchange);
  return exchange;
}

afterEach(async () => {
  for (const exchange of opened.splice(0)) await exchange.close();
});

/**
 * The order structures ccxt makes of `messages`, one per message, as `watchOrders` hands them
 * out: each message goes through the instance's own `handleMessage`; the order is copied at
 * once, because ccxt updates its cached order objects in place.
 */
function parsedByCcxt(exchange: ProInstance, messages: readonly Message[]): CcxtOrderUpdateLike[] {
  const orders: CcxtOrderUpdateLike[] = [];
  const client = {
    url: 'wss://test.invalid/private',
    subscriptions: {},
    futures: {},
    resolve(value: unknown, messageHash: string) {
      // Binance and Bybit resolve `orders`; OKX resolves its channel, `orders` or `orders-algo`.
      if (messageHash === 'orders' || messageHash === 'orders-algo') orders.push(structuredClone((value as CcxtOrderUpdateLike[]).at(-1)!));
    },
    reject() {},
  };
  for (const message of messages) exchange.handleMessage(client, structuredClone(message));
  expect(orders).toHaveLength(messages.length);
  return orders;
}

/** What one stream's mapper reports for `messages`, in order (undefined: nothing to report). */
function streamed(exchange: ProInstance, messages: readonly Message[]): (OrderUpdate | undefined)[] {
  const map = createCcxtOrderUpdateMapper({ exchange });
  return parsedByCcxt(exchange, messages).map((order) => map(order));
}

describe('Binance USDⓈ-M algo stop orders (ALGO_UPDATE and the order a trigger creates)', () => {
  it('reports a triggered stop that fills: open, then the fills under the algo order’s client id and id', () => {
    const updates = streamed(proInstance('binanceusdm'), binanceStream.triggeredAndFilled);
    expect(updates).toEqual([
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'open' }, // ALGO_UPDATE NEW
      undefined, // TRIGGERING: fired, on its way to the matching engine
      undefined, // TRIGGERED: placed in the matching engine as order 88937381063
      undefined, // ORDER_TRADE_UPDATE NEW of that MARKET order: executing, not resting
      {
        clientOrderId: algoClientId,
        id: algoId,
        symbol,
        status: 'partially-filled',
        filledQuantity: 0.004,
        averagePrice: 94.9,
        timestamp: t + 7013,
      },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'filled', filledQuantity: 0.01, averagePrice: 94.84, timestamp: t + 7014 },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'filled', filledQuantity: 0.01, averagePrice: 94.84 }, // FINISHED, aq = q
    ]);
  });

  it('does not take ccxt’s unified status at its word: ccxt calls TRIGGERED and an unfilled FINISHED closed and filled', () => {
    const [, triggered, , , finished] = parsedByCcxt(proInstance('binanceusdm'), binanceStream.triggeredNotFilled);
    // What a mapping of ccxt's unified fields alone would read as a fill of the whole order:
    expect(triggered).toMatchObject({ status: 'closed', filled: 0.01, clientOrderId: algoClientId });
    expect(finished).toMatchObject({ status: 'closed', filled: 0.01 });
    const exchange = proInstance('binanceusdm');
    expect(orderUpdateFromCcxt(triggered!, { exchange })).toBeUndefined();
    expect(orderUpdateFromCcxt(finished!, { exchange })).toEqual({ clientOrderId: algoClientId, id: algoId, symbol, status: 'cancelled' });
  });

  it('reports a stop whose triggered order expired unfilled as expired, then cancelled: the position is still open', () => {
    const updates = streamed(proInstance('binanceusdm'), binanceStream.triggeredNotFilled);
    expect(updates).toEqual([
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'open' },
      undefined,
      undefined,
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'expired', timestamp: t + 7013 },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'cancelled' }, // FINISHED with aq 0
    ]);
  });

  it('reports a triggered order that filled in part and expired with what executed', () => {
    const updates = streamed(proInstance('binanceusdm'), binanceStream.triggeredPartlyFilled);
    expect(updates.slice(1)).toEqual([
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'partially-filled', filledQuantity: 0.004, averagePrice: 94.9, timestamp: t + 7013 },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'expired', filledQuantity: 0.004, averagePrice: 94.9, timestamp: t + 7014 },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'cancelled', filledQuantity: 0.004, averagePrice: 94.9 },
    ]);
  });

  it('reports the triggered order under the algo order when its own client id is missing, once the algo update named it', () => {
    const exchange = proInstance('binanceusdm');
    const [triggered, filled] = parsedByCcxt(exchange, binanceStream.triggeredOrderWithoutClientId);
    const filledUpdate = { symbol, status: 'filled', filledQuantity: 0.01, averagePrice: 94.84, timestamp: t + 7014 };
    // Alone, the order carries only its own id: clientOrderId '' (the registry can match by id only).
    expect(orderUpdateFromCcxt(filled!, { exchange })).toEqual({ clientOrderId: '', id: triggeredOrderId, ...filledUpdate });
    // In a stream, the TRIGGERED update's `ai` links it to the algo order the registry placed.
    const map = createCcxtOrderUpdateMapper({ exchange });
    expect(map(triggered!)).toBeUndefined();
    expect(map(filled!)).toEqual({ clientOrderId: algoClientId, id: algoId, ...filledUpdate });
  });

  it('reports the triggered order under its own id when its fill arrives before the algo update that names it', () => {
    const exchange = proInstance('binanceusdm');
    const [, , , , partial] = parsedByCcxt(exchange, binanceStream.triggeredAndFilled);
    expect(orderUpdateFromCcxt(partial!, { exchange })).toMatchObject({
      clientOrderId: algoClientId, // its `c`
      id: triggeredOrderId,
      status: 'partially-filled',
    });
  });

  it('reports CANCELED, EXPIRED and REJECTED algo orders as cancelled, expired and rejected', () => {
    const exchange = proInstance('binanceusdm');
    expect(streamed(exchange, binanceStream.cancelled)).toEqual([
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'open' },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'cancelled' },
    ]);
    expect(streamed(exchange, binanceStream.expired)).toEqual([{ clientOrderId: algoClientId, id: algoId, symbol, status: 'expired' }]);
    expect(streamed(exchange, binanceStream.rejected)).toEqual([undefined, { clientOrderId: algoClientId, id: algoId, symbol, status: 'rejected' }]);
  });
});

describe('Bybit v5 conditional stop orders (order topic)', () => {
  const linkId = 'tsr-BTCUSDT-0a1b2c3d4e-2';
  const orderId = '1f5a2d3c-7b1e-4c5d-9a8b-0e1f2a3b4c5d';

  it('reports a conditional stop that triggers and fills: open (placed, moved), then its fills, under the same ids', () => {
    const updates = streamed(proInstance('bybit'), bybitStream.triggeredAndFilled);
    expect(updates).toEqual([
      { clientOrderId: linkId, id: orderId, symbol, status: 'open', timestamp: t },
      { clientOrderId: linkId, id: orderId, symbol, status: 'open', timestamp: t + 2000 }, // amended trigger price
      undefined, // Triggered: the instant from Untriggered to New
      undefined, // New of a conditional order: it fired and is executing
      { clientOrderId: linkId, id: orderId, symbol, status: 'partially-filled', filledQuantity: 0.004, averagePrice: 96.4, timestamp: t + 7002 },
      { clientOrderId: linkId, id: orderId, symbol, status: 'filled', filledQuantity: 0.01, averagePrice: 96.37, timestamp: t + 7003 },
    ]);
  });

  it('does not take ccxt’s unified status at its word: ccxt calls Triggered and New open', () => {
    const [, , triggered, executing] = parsedByCcxt(proInstance('bybit'), bybitStream.triggeredAndFilled);
    expect(triggered).toMatchObject({ status: 'open', clientOrderId: linkId });
    expect(executing).toMatchObject({ status: 'open', clientOrderId: linkId });
  });

  it('reports Deactivated (cancelled before it triggered) as cancelled', () => {
    expect(streamed(proInstance('bybit'), bybitStream.deactivated)).toEqual([
      { clientOrderId: linkId, id: orderId, symbol, status: 'open', timestamp: t },
      { clientOrderId: linkId, id: orderId, symbol, status: 'cancelled', timestamp: t + 3000 },
    ]);
  });

  it('reports Cancelled after a partial execution as cancelled with what executed, and Rejected as rejected', () => {
    const exchange = proInstance('bybit');
    expect(streamed(exchange, bybitStream.triggeredPartlyFilledThenCancelled)).toEqual([
      undefined,
      { clientOrderId: linkId, id: orderId, symbol, status: 'cancelled', filledQuantity: 0.004, averagePrice: 94.9, timestamp: t + 7002 },
    ]);
    expect(streamed(exchange, bybitStream.rejected)).toEqual([undefined, { clientOrderId: linkId, id: orderId, symbol, status: 'rejected', timestamp: t + 7001 }]);
  });
});

describe('OKX algo stop orders (orders-algo, and the order a trigger places on orders)', () => {
  it('reports the algo order open, not its trigger, then the placed order’s fill under the registry’s id in base units', () => {
    const exchange = proInstance('okx');
    const orders = parsedByCcxt(exchange, okxStream.triggeredAndFilled);
    expect(orders[1]).toMatchObject({ status: 'closed' }); // ccxt: `effective` (triggered) is closed
    expect(orders.map((order) => orderUpdateFromCcxt(order, { exchange }))).toEqual([
      { clientOrderId: 'tsr-BTCUSDT-0a1b2c3d4e-3', id: '681096944655273984', symbol, status: 'open', timestamp: t },
      undefined, // effective: triggered, its market order placed
      undefined, // that market order, live: executing, not resting (ccxt's market type, no trigger)
      { clientOrderId: 'tsr-BTCUSDT-0a1b2c3d4e-3', id: '681096944655273984', symbol, status: 'filled', filledQuantity: 0.03, averagePrice: 94.8, timestamp: t + 7002 },
    ]);
  });

  it('reports a canceled algo order as cancelled', () => {
    const exchange = proInstance('okx');
    const [, cancelled] = parsedByCcxt(exchange, okxStream.cancelled);
    expect(orderUpdateFromCcxt(cancelled!, { exchange })).toEqual({
      clientOrderId: 'tsr-BTCUSDT-0a1b2c3d4e-3',
      id: '681096944655273984',
      symbol,
      status: 'cancelled',
      timestamp: t + 3000,
    });
  });
});

describe('orderUpdateFromCcxt: identity and quantities', () => {
  it('decodes the venue’s form of a client order id with the profile’s codec, and keeps a foreign one as it is', () => {
    const exchange = { id: 'okx', markets: {} };
    const codec = venueProfiles.okx.clientOrderIds;
    const order = (clientOrderId: string): CcxtOrderUpdateLike => ({ id: '1', clientOrderId, symbol, status: 'canceled', info: {} });
    expect(orderUpdateFromCcxt(order(codec.encode('tsr-BTCUSDT-0a1b2c3d4e-1')), { exchange })?.clientOrderId).toBe('tsr-BTCUSDT-0a1b2c3d4e-1');
    expect(orderUpdateFromCcxt(order('placedByHand42'), { exchange })?.clientOrderId).toBe('placedByHand42');
  });

  it('converts contracts to base units with the market’s contract size', () => {
    const exchange = { id: 'okx', markets: { [symbol]: { symbol, contract: true, contractSize: 0.01, precision: {} } } };
    const update = orderUpdateFromCcxt(
      { id: '7', clientOrderId: 'tsr-a-1', symbol, status: 'closed', amount: 3, filled: 3, average: 95.5, lastUpdateTimestamp: 5, info: {} },
      { exchange },
    );
    expect(update).toEqual({ clientOrderId: 'tsr-a-1', id: '7', symbol, status: 'filled', filledQuantity: 0.03, averagePrice: 95.5, timestamp: 5 });
  });

  it('reads ccxt’s unified status on venues without a raw reading, and reports nothing without a symbol or any id', () => {
    const exchange = { id: 'kucoinfutures', markets: {} };
    const base = { id: '9', clientOrderId: 'tsr-a-1', symbol, amount: 1, info: {} };
    const status = (order: Partial<CcxtOrderUpdateLike>) => orderUpdateFromCcxt({ ...base, ...order }, { exchange })?.status;
    expect(status({ status: 'open' })).toBe('open');
    expect(status({ status: 'open', filled: 0.5 })).toBe('partially-filled');
    expect(status({ status: 'closed' })).toBe('filled');
    expect(status({ status: 'canceled' })).toBe('cancelled');
    expect(status({ status: 'expired' })).toBe('expired');
    expect(status({ status: 'rejected' })).toBe('rejected');
    expect(status({ status: 'open', type: 'market' })).toBeUndefined(); // a market order executing, not a resting stop
    expect(status({ status: 'open', type: 'market', triggerPrice: 95 })).toBe('open');
    expect(status({ status: 'canceling' })).toBeUndefined();
    expect(status({ status: 'closed', symbol: undefined })).toBeUndefined();
    expect(status({ status: 'closed', id: undefined, clientOrderId: undefined })).toBeUndefined();
    expect(orderUpdateFromCcxt({ ...base, status: 'closed' }, { exchange })?.filledQuantity).toBe(1); // a fill ccxt leaves unquantified is whole
  });

  it('refuses options without an exchange', () => {
    expect(() => orderUpdateFromCcxt({ symbol, status: 'open' }, {} as never)).toThrow(TypeError);
  });

  it('declares the venues whose stream reading is verified here', () => {
    expect(verifiedOrderStreams).toEqual(['binance', 'bybit']);
  });
});

// ---------------------------------------------------------------------------------------------
// The loop over ccxt pro's watchOrders, against a loopback websocket server
// ---------------------------------------------------------------------------------------------

/** The `ws` package ccxt itself connects with (resolved from ccxt, whose dependency it is). */
interface SocketLike {
  send(data: string): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  terminate(): void;
}
interface ServerLike {
  on(event: 'connection', listener: (socket: SocketLike, request: { url?: string }) => void): void;
  address(): AddressInfo;
  close(callback: () => void): void;
  clients: Set<SocketLike>;
}
const { WebSocketServer } = createRequire(import.meta.resolve('ccxt'))('ws') as {
  WebSocketServer: new (options: { host: string; port: number }, ready: () => void) => ServerLike;
};

/** A venue's private websocket on 127.0.0.1: answers the client's requests with `answer`, records paths. */
async function loopbackVenue(answer: (request: Message, socket: SocketLike) => void = () => undefined) {
  const server = await new Promise<ServerLike>((resolve) => {
    const created: ServerLike = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve(created));
  });
  const paths: string[] = [];
  let connected: () => void = () => undefined;
  const connection = new Promise<void>((resolve) => (connected = resolve));
  server.on('connection', (socket, request) => {
    paths.push(request.url ?? '');
    socket.on('message', (data) => answer(JSON.parse(data.toString()) as Message, socket));
    connected();
  });
  const servers = loopbackServers;
  servers.push(server);
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    paths,
    connection,
    push: (message: Message) => {
      for (const socket of server.clients) socket.send(JSON.stringify(message));
    },
    drop: () => {
      for (const socket of server.clients) socket.terminate();
    },
  };
}
const loopbackServers: ServerLike[] = [];
afterEach(async () => {
  for (const server of loopbackServers.splice(0)) {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Resolves once `updates` holds `count` entries (checked as each arrives). */
function collector() {
  const updates: OrderUpdate[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const listener = (update: OrderUpdate) => {
    updates.push(update);
    for (const wait of waiting) if (updates.length >= wait.count) wait.resolve();
  };
  const received = (count: number) =>
    new Promise<void>((resolve) => (updates.length >= count ? resolve() : waiting.push({ count, resolve })));
  return { updates, listener, received };
}

/**
 * Waits for the instance to connect to `venue`, failing at once if the loop ends first (so a
 * broken setup fails the test instead of timing it out).
 */
async function connectedTo(venue: { connection: Promise<void> }, watching: Promise<void>): Promise<void> {
  await Promise.race([venue.connection, watching.then(() => Promise.reject(new Error('watchCcxtOrders ended before connecting')))]);
}

/**
 * Readies a pro instance for the loopback venue: ccxt connects to plain ws:// urls only with its
 * HTTP agent loaded; `handled()` counts the messages ccxt has processed, so a test can wait for
 * ccxt (not for the clock) before it pushes the next one.
 */
async function forLoopback<T extends ProInstance>(exchange: T): Promise<T & { handled(): number }> {
  await (exchange as unknown as { loadHttpProxyAgent(): Promise<unknown> }).loadHttpProxyAgent();
  let handled = 0;
  const handle = exchange.handleMessage.bind(exchange);
  // Read by ccxt when it creates the socket's client, so every message passes here.
  exchange.handleMessage = (client: unknown, message: unknown) => {
    handle(client, message);
    handled++;
  };
  return Object.assign(exchange, { handled: () => handled });
}

/**
 * Pushes `messages` one at a time, each after ccxt processed the one before and the loop came
 * back for more (one `watchOrders` read per message, as on a quiet stream).
 */
async function pushOneByOne(
  venue: { push(message: Message): void },
  exchange: { handled(): number },
  messages: readonly Message[],
): Promise<void> {
  for (const message of messages) {
    const before = exchange.handled();
    venue.push(message);
    await expect.poll(() => exchange.handled(), { interval: 1 }).toBeGreaterThan(before);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A binanceusdm pro instance whose user data stream is `venue` (listenKey from its REST layer). */
async function binanceOn(venue: { url: string }) {
  const exchange = await forLoopback(proInstance('binanceusdm'));
  exchange.urls.api.ws['future'] = `${venue.url}/ws`;
  const requests: string[] = [];
  exchange.fetchImplementation = async (url: string, init: { method?: string }) => {
    const route = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
    requests.push(route);
    // Start User Data Stream: POST /fapi/v1/listenKey answers { "listenKey": "..." }. ccxt also
    // loads a positions snapshot for its position cache: no positions, no brackets.
    const body = route === 'POST /fapi/v1/listenKey' ? { listenKey: 'pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1' } : [];
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { exchange, requests };
}

describe('watchCcxtOrders over a real ccxt pro instance', () => {
  it('feeds a Binance algo stop’s stream to the listener until aborted, then resolves', async () => {
    const venue = await loopbackVenue();
    const { exchange, requests } = await binanceOn(venue);
    const { updates, listener, received } = collector();
    const controller = new AbortController();
    const watching = watchCcxtOrders(exchange, listener, controller.signal);
    await connectedTo(venue, watching);
    expect(requests[0]).toBe('POST /fapi/v1/listenKey');
    expect(venue.paths[0]).toContain('listenKey=pqia91ma');
    await pushOneByOne(venue, exchange, binanceStream.triggeredAndFilled);
    await received(4);
    controller.abort();
    await expect(watching).resolves.toBeUndefined();
    expect(updates).toEqual([
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'open' },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'partially-filled', filledQuantity: 0.004, averagePrice: 94.9, timestamp: t + 7013 },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'filled', filledQuantity: 0.01, averagePrice: 94.84, timestamp: t + 7014 },
      { clientOrderId: algoClientId, id: algoId, symbol, status: 'filled', filledQuantity: 0.01, averagePrice: 94.84 },
    ]);
    const before = exchange.handled();
    venue.push(binanceStream.cancelled[1]!);
    await expect.poll(() => exchange.handled(), { interval: 1 }).toBeGreaterThan(before);
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates).toHaveLength(4); // nothing after the abort
  });

  it('keeps the fill when ccxt coalesces a burst of one order’s updates into its latest state', async () => {
    const venue = await loopbackVenue();
    const { exchange } = await binanceOn(venue);
    const { updates, listener } = collector();
    const controller = new AbortController();
    const watching = watchCcxtOrders(exchange, listener, controller.signal);
    await connectedTo(venue, watching);
    for (const message of binanceStream.triggeredAndFilled) venue.push(message); // all at once
    await expect.poll(() => exchange.handled(), { interval: 1 }).toBe(binanceStream.triggeredAndFilled.length);
    await expect.poll(() => updates.some((update) => update.id === algoId && update.status === 'filled'), { interval: 1 }).toBe(true);
    controller.abort();
    await watching;
    // However ccxt split the burst into reads, nothing says open after a fill and the fill is whole.
    const firstFill = updates.findIndex((update) => update.status === 'filled');
    expect(updates.slice(firstFill).every((update) => update.status === 'filled' && update.filledQuantity === 0.01)).toBe(true);
    expect(updates.every((update) => update.clientOrderId === algoClientId)).toBe(true);
  });

  it('feeds a Bybit conditional stop’s stream after authenticating and subscribing to the order topic', async () => {
    const requests: Message[] = [];
    const venue = await loopbackVenue((request, socket) => {
      requests.push(request);
      // https://bybit-exchange.github.io/docs/v5/ws/connect: auth and subscribe acknowledgements.
      if (request['op'] === 'auth') socket.send(JSON.stringify({ success: true, ret_msg: '', op: 'auth', conn_id: 'cejreaspqfh3sjdnldmg-p' }));
      if (request['op'] === 'subscribe') {
        socket.send(JSON.stringify({ success: true, ret_msg: '', conn_id: 'cejreaspqfh3sjdnldmg-p', req_id: request['req_id'], op: 'subscribe' }));
      }
    });
    const exchange = await forLoopback(proInstance('bybit'));
    (exchange.urls.api.ws['private'] as Record<string, unknown>)['contract'] = `${venue.url}/v5/private`;
    Object.assign(exchange.options, { enableUnifiedMargin: false, enableUnifiedAccount: true }); // a unified account, known
    const { updates, listener, received } = collector();
    const controller = new AbortController();
    const watching = watchCcxtOrders(exchange, listener, controller.signal);
    await connectedTo(venue, watching);
    await expect.poll(() => requests.some((request) => request['op'] === 'subscribe')).toBe(true);
    expect(requests.find((request) => request['op'] === 'subscribe')).toMatchObject({ args: ['order'] });
    await pushOneByOne(venue, exchange, bybitStream.triggeredAndFilled);
    await received(4);
    controller.abort();
    await expect(watching).resolves.toBeUndefined();
    expect(updates.map((update) => update.status)).toEqual(['open', 'open', 'partially-filled', 'filled']);
    expect(updates.at(-1)).toMatchObject({ clientOrderId: 'tsr-BTCUSDT-0a1b2c3d4e-2', filledQuantity: 0.01, averagePrice: 96.37 });
  });

  it('rejects with a typed, sanitized error when the stream breaks, so the registry resubscribes', async () => {
    const venue = await loopbackVenue();
    const { exchange } = await binanceOn(venue);
    const watching = watchCcxtOrders(exchange, () => undefined, new AbortController().signal);
    await connectedTo(venue, watching);
    venue.drop();
    const error = await watching.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect((error as ExchangeUnavailableError).unknownOutcome).toBe(false);
    expect((error as Error).cause).toBeInstanceOf(SanitizedCcxtError);
    expect((error as Error).message).toContain('binanceusdm watchOrders: NetworkError');
    const text = `${(error as Error).message} ${((error as Error).cause as Error).message}`;
    expect(text).not.toContain(testCredentials.apiKey);
    expect(text).not.toContain('pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1');
  });

  it('ends with the listener’s exception', async () => {
    const venue = await loopbackVenue();
    const { exchange } = await binanceOn(venue);
    const thrown = new Error('listener failed');
    const watching = watchCcxtOrders(
      exchange,
      () => {
        throw thrown;
      },
      new AbortController().signal,
    );
    await connectedTo(venue, watching);
    venue.push(binanceStream.cancelled[0]!);
    await expect(watching).rejects.toBe(thrown);
  });

  it('refuses an instance without an order stream, a bad listener or signal, before any I/O', async () => {
    const rest = new ccxt.binanceusdm({ apiKey: testCredentials.apiKey, secret: testCredentials.secret });
    let requests = 0;
    rest.fetchImplementation = () => {
      requests++;
      throw new Error('no I/O expected');
    };
    const signal = new AbortController().signal;
    await expect(watchCcxtOrders(rest as unknown as CcxtOrderStreamLike, () => undefined, signal)).rejects.toThrow(/has no order stream/);
    const exchange = proInstance('binanceusdm');
    await expect(watchCcxtOrders(exchange, undefined as never, signal)).rejects.toThrow(TypeError);
    await expect(watchCcxtOrders(exchange, () => undefined, {} as never)).rejects.toThrow(/AbortSignal/);
    expect(requests).toBe(0);
  });

  it('resolves at once for a signal already aborted', async () => {
    const exchange = proInstance('binanceusdm');
    let requests = 0;
    exchange.fetchImplementation = () => {
      requests++;
      throw new Error('no I/O expected');
    };
    const controller = new AbortController();
    controller.abort();
    await expect(watchCcxtOrders(exchange, () => undefined, controller.signal)).resolves.toBeUndefined();
    expect(requests).toBe(0);
  });
});
