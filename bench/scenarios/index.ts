/** Every scenario, in the order a run executes them. */
import { createOverhead } from './create-overhead.js';
import { fleet } from './fleet.js';
import { memory } from './memory.js';
import { recovery } from './recovery.js';
import type { Scenario } from './scenario.js';
import { storm } from './storm.js';
import { spike } from './spike.js';
import { sync } from './sync.js';
import { ticks } from './ticks.js';
import { wave } from './wave.js';

export const scenarios: readonly Scenario[] = [wave, storm, ticks, createOverhead, memory, sync, fleet, spike, recovery];
