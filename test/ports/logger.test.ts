/**
 * The Logger port with real loggers: pino through `objectFirstLogger` (its JSON output captured
 * and parsed), and the loggers that fit the port as they are (console; winston has the same shape).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  ExchangeRejectedError,
  PaperExchange,
  TrailingStopRegistry,
  objectFirstLogger,
  type Logger,
  type ObjectFirstLogger,
} from '../../src/index.js';

interface PinoLine {
  readonly level: number;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** A real pino logger at debug level writing its JSON lines into `lines`. */
function capturingPino(): { logger: pino.Logger; lines: PinoLine[] } {
  const lines: PinoLine[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as PinoLine) };
  return { logger: pino({ level: 'debug', base: undefined, timestamp: false }, destination), lines };
}

describe('objectFirstLogger with pino', () => {
  it('delivers the message and every context field, at the matching level', () => {
    const { logger, lines } = capturingPino();
    const adapted = objectFirstLogger(logger);
    adapted.debug('Exchange call sent', { key: 'BTCUSDT', operation: 'placeStop' });
    adapted.info('Reconciled', { key: 'ETHUSDT', action: 'adopted' });
    adapted.warn('Exchange call timed out; outcome unknown', { key: 'BTCUSDT', operation: 'cancelStop' });
    adapted.error('Could not keep the stop on the venue', { key: 'SOLUSDT', code: 'ERR_EXCHANGE_REJECTED' });
    expect(lines).toEqual([
      { level: 20, msg: 'Exchange call sent', key: 'BTCUSDT', operation: 'placeStop' },
      { level: 30, msg: 'Reconciled', key: 'ETHUSDT', action: 'adopted' },
      { level: 40, msg: 'Exchange call timed out; outcome unknown', key: 'BTCUSDT', operation: 'cancelStop' },
      { level: 50, msg: 'Could not keep the stop on the venue', key: 'SOLUSDT', code: 'ERR_EXCHANGE_REJECTED' },
    ]);
  });

  it('logs a message without context as a plain line', () => {
    const { logger, lines } = capturingPino();
    objectFirstLogger(logger).info('Orphan sweep skipped');
    expect(lines).toEqual([{ level: 30, msg: 'Orphan sweep skipped' }]);
  });

  it("keeps a child logger's bindings and the logger's own level filter", () => {
    const { logger, lines } = capturingPino();
    const child = logger.child({ component: 'stops' });
    const adapted = objectFirstLogger(child);
    child.level = 'warn';
    adapted.info('not written', { key: 'A' });
    adapted.warn('written', { key: 'B' });
    expect(lines).toEqual([{ level: 40, msg: 'written', component: 'stops', key: 'B' }]);
  });

  it('is needed: pino passed as the Logger directly type-checks but drops the context', () => {
    const { logger, lines } = capturingPino();
    const direct: Logger = logger;
    direct.warn('Exchange call timed out; outcome unknown', { key: 'BTCUSDT' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toHaveProperty('key');
  });

  it("carries the registry's context fields into pino's JSON", async () => {
    const { logger, lines } = capturingPino();
    const placer = new PaperExchange({
      fault: (call) => (call.operation === 'placeStop' ? new ExchangeRejectedError('Margin is insufficient') : undefined),
    });
    const registry = new TrailingStopRegistry({ placer, logger: objectFirstLogger(logger), retry: { attempts: 1 } });
    registry.on('error', () => {});
    await expect(
      registry.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 }),
    ).rejects.toThrow('Margin is insufficient');
    await registry.close();
    const line = lines.find((entry) => entry.msg === 'Margin is insufficient');
    expect(line).toMatchObject({ key: 'BTCUSDT', code: 'ERR_EXCHANGE_REJECTED', operation: 'create' });
    expect(line!.level).toBeGreaterThanOrEqual(40);
  });

  it('refuses a logger without the four level methods, naming what is missing', () => {
    expect(() => objectFirstLogger({ info() {}, warn() {} } as unknown as ObjectFirstLogger)).toThrow(
      'Expected `logger` to be a pino or bunyan logger; it has no debug, error method',
    );
    expect(() => objectFirstLogger(undefined as unknown as ObjectFirstLogger)).toThrow(TypeError);
  });
});

describe('loggers that fit the port as they are', () => {
  it('console takes (message, context): the context is printed', () => {
    const printed: unknown[][] = [];
    const fake = { ...console, warn: (...args: unknown[]) => void printed.push(args) };
    const logger: Logger = fake;
    logger.warn('Exchange call timed out; outcome unknown', { key: 'BTCUSDT' });
    expect(printed).toEqual([['Exchange call timed out; outcome unknown', { key: 'BTCUSDT' }]]);
  });

  it('pino and bunyan have the shape objectFirstLogger takes (checked by the compiler)', () => {
    const logger: ObjectFirstLogger = pino({ enabled: false });
    expect(typeof logger.error).toBe('function');
  });
});
