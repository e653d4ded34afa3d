/** Every creation strategy, in the order the tables list them. */
import { doubleCheck } from './double-check.js';
import { globalLock } from './global-lock.js';
import { keyedMutex } from './keyed-mutex.js';
import { registry } from './registry.js';
import type { StrategyDefinition } from './strategy.js';

export const creationStrategies: readonly StrategyDefinition[] = [globalLock, doubleCheck, keyedMutex, registry];

export type { BenchSpec, CreationStrategy, CreationStrategyName, StrategyDefinition, StrategyEnvironment } from './strategy.js';
