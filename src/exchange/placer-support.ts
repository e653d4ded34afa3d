/**
 * What the placer can do, checked before any I/O: a spec the pure validation accepted is fitted to
 * the venue's capabilities (emulated mode needs a market close; native trailing needs a native
 * trailing order and the venue's callback limits).
 */
import { UnsupportedError, ValidationError } from '../errors.js';
import type { OrderPlacer } from '../ports/order-placer.js';
import type { ValidatedSpec } from '../policy/create-spec.js';

/**
 * Returns `spec` with its mode fitted to `placer`: `native` falls back to `exchange` when the
 * placer has no native trailing orders. Throws {@link UnsupportedError} or {@link ValidationError}
 * when the placer cannot serve the mode asked for, or does not know the symbol (`knowsSymbol`).
 */
export function fitSpecToPlacer(spec: ValidatedSpec, placer: OrderPlacer): ValidatedSpec {
  const parameters = spec.parameters;
  const key = spec.key;
  if (placer.knowsSymbol !== undefined && !placer.knowsSymbol(spec.symbol)) {
    throw new ValidationError('symbol', `The placer's venue does not trade \`symbol\` ${JSON.stringify(spec.symbol)}: use the venue's symbol form`, {
      key,
    });
  }
  if (parameters.mode === 'emulated' && placer.closePosition === undefined) {
    throw new UnsupportedError('Emulated mode needs a placer with `closePosition`', { key });
  }
  if (parameters.mode !== 'native') return spec;
  if (placer.placeTrailingStop === undefined) return { ...spec, parameters: { ...parameters, mode: 'exchange' } };
  if (parameters.distanceKind !== 'percent') {
    throw new ValidationError('mode', "Native trailing orders trail by percent: use `callbackPercent` with mode 'native'", { key });
  }
  const limits = placer.capabilities?.trailingCallbackPercent ?? { min: 0.1, max: 10 };
  if (parameters.distanceValue < limits.min || parameters.distanceValue > limits.max) {
    throw new ValidationError(
      'callbackPercent',
      `The venue's native trailing orders take \`callbackPercent\` in [${limits.min}, ${limits.max}], got \`${parameters.distanceValue}\``,
      { key },
    );
  }
  return spec;
}
