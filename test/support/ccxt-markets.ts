/**
 * Markets for the scripted ccxt venues, parsed by ccxt itself from the venue's documented
 * market-list bodies (test/fixtures/ccxt/<venue>-*.json): a throwaway instance without keys runs
 * `fetchMarkets()` against answers from the fixtures, and its result is what the scripted
 * instance gets through `setMarkets()`. So the markets are exactly what ccxt makes of the
 * venue's own format (contract sizes, lots, ticks), with no network.
 */
import { readFileSync } from 'node:fs';

/** A ccxt instance as far as loading markets goes. */
interface MarketLoader {
  fetchImplementation: unknown;
  fetchMarkets(params?: Record<string, unknown>): Promise<unknown[]>;
}

/** Reads a JSON fixture of test/fixtures/ccxt. */
export function readFixture<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/ccxt/${file}`, import.meta.url), 'utf8')) as T;
}

/**
 * Runs `loader.fetchMarkets()` with every HTTP request answered by `answer(path, query)`:
 * a body to send with status 200.
 *
 * @throws Error naming the route when `answer` has nothing for a request.
 */
export async function documentedMarkets(
  loader: MarketLoader,
  answer: (path: string, query: URLSearchParams) => unknown,
): Promise<unknown[]> {
  loader.fetchImplementation = async (url: string) => {
    const parsed = new URL(url);
    const body = answer(parsed.pathname, parsed.searchParams);
    if (body === undefined) throw new Error(`market loader: no documented answer for ${parsed.pathname}`);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return loader.fetchMarkets();
}
