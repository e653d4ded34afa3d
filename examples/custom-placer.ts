/**
 * Writing an adapter: an OrderPlacer for a venue the library does not ship. Implement the two
 * required methods; add the optional ones your venue supports. Map the venue's errors to the
 * library's typed errors so the registry knows what to retry (ExchangeUnavailableError), what not
 * (ExchangeRejectedError), and when the price already crossed the stop (WouldTriggerError).
 * Run: npx tsx examples/custom-placer.ts
 */
import {
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  TrailingStopRegistry,
  WouldTriggerError,
  type FindStopQuery,
  type OrderPlacer,
  type PlacerCallOptions,
  type StopOrder,
  type StopOrderRequest,
} from '../src/index.js';

/** A stand-in for your venue's HTTP client. */
class ToyVenueClient {
  readonly orders = new Map<string, { id: string; clientId: string; symbol: string; side: string; qty: number; trigger: number; status: string }>();
  #next = 1;
  async post(path: string, body: Record<string, string | number>, signal: AbortSignal) {
    signal.throwIfAborted();
    if (path === '/order/stop') {
      const existing = [...this.orders.values()].find((order) => order.clientId === body.clientId);
      if (existing) return { error: 'DUPLICATE_CLIENT_ID' };
      const order = { id: String(this.#next++), clientId: String(body.clientId), symbol: String(body.symbol), side: String(body.side), qty: Number(body.qty), trigger: Number(body.trigger), status: 'NEW' };
      this.orders.set(order.id, order);
      return { order };
    }
    if (path === '/order/cancel') {
      const order = this.orders.get(String(body.id));
      if (!order || order.status !== 'NEW') return { error: 'UNKNOWN_ORDER' };
      order.status = 'CANCELED';
      return { order };
    }
    return { error: 'NOT_FOUND' };
  }
  async get(clientId: string) {
    return [...this.orders.values()].find((order) => order.clientId === clientId);
  }
}

/** The adapter: translate requests, answers and errors. */
class ToyVenuePlacer implements OrderPlacer {
  readonly capabilities = { clientOrderIdMaxLength: 36 };
  constructor(private readonly client: ToyVenueClient) {}

  async placeStop(request: StopOrderRequest, { signal }: PlacerCallOptions): Promise<StopOrder> {
    const answer = await this.client
      .post('/order/stop', { symbol: request.symbol, side: request.side, qty: request.quantity, trigger: request.stopPrice, clientId: request.clientOrderId, reduceOnly: 'true' }, signal)
      .catch((error: unknown) => {
        // Network trouble: the order may or may not exist. The registry looks it up by client id.
        throw new ExchangeUnavailableError('Toy venue unreachable', { cause: error, unknownOutcome: true });
      });
    if (answer.error === 'DUPLICATE_CLIENT_ID') {
      // Placing an open client order id must resolve to that order (the port's contract).
      const existing = await this.findStop({ symbol: request.symbol, clientOrderId: request.clientOrderId }, { signal });
      if (existing) return existing;
      throw new ExchangeRejectedError('Client order id already used');
    }
    if (answer.error === 'WOULD_TRIGGER') throw new WouldTriggerError(`Stop ${request.stopPrice} would trigger immediately`);
    if (answer.error || !answer.order) throw new ExchangeRejectedError(`Toy venue refused the order: ${answer.error}`);
    return toStopOrder(answer.order);
  }

  async cancelStop(order: StopOrder, { signal }: PlacerCallOptions): Promise<void> {
    const answer = await this.client.post('/order/cancel', { id: order.id }, signal);
    // Already gone counts as cancelled.
    if (answer.error === 'UNKNOWN_ORDER') return;
    if (answer.error) throw new OrderNotFoundError(String(answer.error));
  }

  async findStop(query: FindStopQuery, _options?: PlacerCallOptions): Promise<StopOrder | undefined> {
    const order = await this.client.get(query.clientOrderId);
    return order ? toStopOrder(order) : undefined;
  }
}

function toStopOrder(order: { id: string; clientId: string; symbol: string; side: string; qty: number; trigger: number; status: string }): StopOrder {
  return {
    id: order.id,
    clientOrderId: order.clientId,
    symbol: order.symbol,
    side: order.side === 'buy' ? 'buy' : 'sell',
    quantity: order.qty,
    stopPrice: order.trigger,
    status: order.status === 'NEW' ? 'open' : order.status === 'FILLED' ? 'filled' : 'cancelled',
  };
}

const client = new ToyVenueClient();
const registry = new TrailingStopRegistry({ placer: new ToyVenuePlacer(client) });
const stop = await registry.create({ symbol: 'ETHUSDT', side: 'short', entryPrice: 3_000, quantity: 0.5, stopLossPercent: 1.5 });
console.log('placed on the toy venue:', stop.order);
await registry.remove('ETHUSDT');
console.log('after remove:', [...client.orders.values()].map((order) => `${order.clientId} ${order.status}`));
await registry.close();
