/**
 * Secrets never leave: with recognizable keys on real ccxt instances, every error path of the
 * adapter is forced, and no error message, stack, cause chain, JSON form or log line may contain
 * the API key, the secret, or any request signature the venue received.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer } from '../../src/placers/ccxt.js';
import type { Logger } from '../../src/ports/logger.js';
import type { StopOrder } from '../../src/ports/order-placer.js';
import {
  scriptedBinanceUsdm,
  scriptedBybit,
  testCredentials,
  type ScriptedVenue,
  type VenueAnswer,
} from '../support/scripted-venue.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });

function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string, context?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  };
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** Every text an error exposes: message, stack, string and JSON forms, down the cause chain. */
function exposedTexts(error: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && current !== null && !seen.has(current); ) {
    seen.add(current);
    if (current instanceof Error) {
      texts.push(current.message, String(current.stack), String(current), current.name);
    }
    texts.push(JSON.stringify(current), JSON.stringify(Object.getOwnPropertyDescriptors(current)));
    current = (current as { cause?: unknown }).cause;
  }
  return texts;
}

/** Secrets, and every signature the venue saw, raw and URL-encoded. */
function forbidden(venue: ScriptedVenue): string[] {
  const values = new Set<string>([testCredentials.apiKey, testCredentials.secret]);
  for (const request of venue.requests) {
    const signature = request.params['signature'] ?? request.headers['X-BAPI-SIGN'];
    if (typeof signature === 'string') values.add(signature);
  }
  return [...values].flatMap((value) => [value, encodeURIComponent(value)]);
}

interface Scenario {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly answer: VenueAnswer;
  readonly run: (placer: CcxtOrderPlacer, placed: StopOrder) => Promise<unknown>;
}

/** A venue error body that echoes the credentials, as Bybit's 10004 "error sign" does. */
const echo = `origin_string[1700000000000${testCredentials.apiKey}5000] apiKey=${testCredentials.apiKey} secret=${testCredentials.secret}`;

const place = (placer: CcxtOrderPlacer) =>
  placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'leak-new' }, call());

const binanceScenarios: Scenario[] = [
  ...(
    [
      ['would trigger -2021', { status: 400, body: { code: -2021, msg: 'Order would immediately trigger.' } }],
      ['margin -2019', { status: 400, body: { code: -2019, msg: 'Margin is insufficient.' } }],
      ['bad key -2015', { status: 401, body: { code: -2015, msg: `Invalid API-key, IP, or permissions for action. ${echo}` } }],
      ['rate limit 429', { status: 429, body: { code: -1003, msg: 'Too many requests.' } }],
      ['ban 418', { status: 418, body: { code: -1003, msg: 'Way too much request weight used; IP banned until 1700000090000.' } }],
      ['unavailable 503 echoing keys', { status: 503, body: `<html>${echo}</html>` }],
      ['server error 500', { status: 500, body: { code: -1001, msg: `Internal error; ${echo}` } }],
      ['network failure', { fail: 'network' }],
      ['timeout', { fail: 'timeout' }],
      ['lost answer', { loseAnswer: 'timeout' }],
    ] as const
  ).map(([name, answer]) => ({ name: `placeStop: ${name}`, method: 'POST', path: '/fapi/v1/algoOrder', answer, run: place })),
  {
    name: 'placeStop: duplicate, then the lookup fails with a signed GET',
    method: 'GET',
    path: '/fapi/v1/algoOrder',
    answer: { status: 503, body: 'Service Unavailable' },
    run: (placer, placed) =>
      placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: placed.clientOrderId }, call()),
  },
  {
    name: 'cancelStop: 503 on a signed DELETE',
    method: 'DELETE',
    path: '/fapi/v1/algoOrder',
    answer: { status: 503, body: 'Service Unavailable' },
    run: (placer, placed) => placer.cancelStop(placed, call()),
  },
  {
    name: 'cancelStop: network failure on a signed DELETE',
    method: 'DELETE',
    path: '/fapi/v1/algoOrder',
    answer: { fail: 'network' },
    run: (placer, placed) => placer.cancelStop(placed, call()),
  },
  {
    name: 'findStop: timeout on a signed GET',
    method: 'GET',
    path: '/fapi/v1/algoOrder',
    answer: { fail: 'timeout' },
    run: (placer, placed) => placer.findStop({ symbol, clientOrderId: placed.clientOrderId }, call()),
  },
  {
    name: 'openStops: 502 on a signed GET',
    method: 'GET',
    path: '/fapi/v1/openAlgoOrders',
    answer: { status: 502, body: `Bad Gateway ${echo}` },
    run: (placer) => placer.openStops(call()),
  },
  {
    name: 'placeTrailingStop: 503',
    method: 'POST',
    path: '/fapi/v1/algoOrder',
    answer: { status: 503, body: 'Service Unavailable' },
    run: (placer) =>
      placer.placeTrailingStop!({ symbol, side: 'sell', quantity: 0.01, callbackPercent: 1, clientOrderId: 'leak-trail' }, call()),
  },
  {
    name: 'closePosition: 503',
    method: 'POST',
    path: '/fapi/v1/order',
    answer: { status: 503, body: `Service Unavailable ${echo}` },
    run: (placer) => placer.closePosition({ symbol, side: 'sell', quantity: 0.01, clientOrderId: 'leak-close' }, call()),
  },
];

const bybitScenarios: Scenario[] = [
  ...(
    [
      ['would trigger 110093', { status: 200, body: { retCode: 110093, retMsg: 'expect Falling, but trigger_price[950000] >= current[940000]', result: {} } }],
      ['error sign 10004 echoing keys', { status: 200, body: { retCode: 10004, retMsg: `error sign! ${echo}`, result: {} } }],
      ['invalid key 10003', { status: 200, body: { retCode: 10003, retMsg: `API key is invalid. ${echo}`, result: {} } }],
      ['rate limit 10006', { status: 200, body: { retCode: 10006, retMsg: 'Too many visits!', result: {} } }],
      ['ip rate limit 403', { status: 403, body: `<html>403 ${echo}</html>` }],
      ['unavailable 503', { status: 503, body: 'Service Unavailable' }],
      ['network failure', { fail: 'network' }],
      ['timeout', { fail: 'timeout' }],
      ['lost answer', { loseAnswer: 'network' }],
    ] as const
  ).map(([name, answer]) => ({ name: `placeStop: ${name}`, method: 'POST', path: '/v5/order/create', answer, run: place })),
  {
    name: 'findStop: 503 on a signed GET with query',
    method: 'GET',
    path: '/v5/order/realtime',
    answer: { status: 503, body: 'Service Unavailable' },
    run: (placer, placed) => placer.findStop({ symbol, clientOrderId: placed.clientOrderId }, call()),
  },
  {
    name: 'openStops: network failure on a signed GET',
    method: 'GET',
    path: '/v5/order/realtime',
    answer: { fail: 'network' },
    run: (placer) => placer.openStops(call()),
  },
  {
    name: 'amendStop: error sign 10004',
    method: 'POST',
    path: '/v5/order/amend',
    answer: { status: 200, body: { retCode: 10004, retMsg: `error sign! ${echo}`, result: {} } },
    run: (placer, placed) => placer.amendStop!(placed, 96, call()),
  },
  {
    name: 'cancelStop: 503',
    method: 'POST',
    path: '/v5/order/cancel',
    answer: { status: 503, body: `Service Unavailable ${echo}` },
    run: (placer, placed) => placer.cancelStop(placed, call()),
  },
  {
    name: 'closePosition: timeout',
    method: 'POST',
    path: '/v5/order/create',
    answer: { fail: 'timeout' },
    run: (placer) => placer.closePosition({ symbol, side: 'sell', quantity: 0.01, clientOrderId: 'leak-close' }, call()),
  },
];

const venues = [
  { name: 'binanceusdm', create: scriptedBinanceUsdm, scenarios: binanceScenarios },
  { name: 'bybit', create: scriptedBybit, scenarios: bybitScenarios },
] as const;

describe('CcxtOrderPlacer never leaks credentials or signatures', () => {
  for (const venueCase of venues) {
    for (const scenario of venueCase.scenarios) {
      it(`${venueCase.name} ${scenario.name}`, async () => {
        const { exchange, venue } = venueCase.create();
        const lines: string[] = [];
        const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], logger: recordingLogger(lines) });
        const placed = await placer.placeStop(
          { symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'leak-placed' },
          call(),
        );
        venue.failNext(scenario.method, scenario.path, scenario.answer);
        const error = await scenario.run(placer, placed).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error, 'the scenario must fail').toBeInstanceOf(Error);
        const texts = [...exposedTexts(error), ...lines];
        for (const secret of forbidden(venue)) {
          for (const text of texts) expect(text.includes(secret), `leaked into: ${text.slice(0, 300)}`).toBe(false);
        }
        // No query string of a signed request survives either.
        for (const text of texts) expect(text).not.toMatch(/[?&](signature|timestamp|recvWindow)=/);
      });
    }
  }

  it('the raw ccxt errors do carry what is redacted (the test has teeth)', async () => {
    const { exchange, venue } = scriptedBinanceUsdm();
    venue.failNext('DELETE', '/fapi/v1/algoOrder', { status: 503, body: `Service Unavailable ${echo}` });
    const raw = await exchange.cancelOrder('1', symbol, { trigger: true }).then(
      () => new Error('expected a failure'),
      (caught: unknown) => caught as Error,
    );
    const signature = String(venue.requests.at(-1)?.params['signature']);
    expect(raw.message).toContain(signature);
    expect(raw.message).toContain(testCredentials.apiKey);
    expect(raw.message).toContain(testCredentials.secret);
  });
});
