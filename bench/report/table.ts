/** Plain-text tables for stdout. */
import type { ScenarioResult } from '../scenarios/scenario.js';
import type { MachineInfo } from '../support/machine.js';
import { grid, parameterLine } from './cells.js';
import type { TargetOutcome } from './targets.js';

/** Lays out a table; the first `leftColumns` columns are left-aligned, the rest (numbers) right-aligned. */
function layout(heading: string[], rows: string[][], leftColumns = 1): string {
  const widths = heading.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(heading), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** The text table of one scenario, with its heading and notes. */
export function scenarioTable(result: ScenarioResult): string {
  const title = `== ${result.name}: ${result.description}`;
  if (result.skipped !== undefined) return `${title}\n   skipped: ${result.skipped}\n`;
  const { heading, rows } = grid(result);
  const notes = result.notes.map((note) => `   * ${note}`);
  return [title, `   ${parameterLine(result)}`, '', layout(heading, rows), ...(notes.length > 0 ? ['', ...notes] : []), ''].join('\n');
}

/** The targets as a text table. */
export function targetsTable(outcomes: readonly TargetOutcome[]): string {
  const rows = outcomes.map((outcome) => [outcome.scenario, outcome.target, outcome.measured, outcome.status.toUpperCase()]);
  return `== targets (medians of this run)\n\n${layout(['scenario', 'target', 'measured', 'status'], rows, 4)}\n`;
}

/** One line about the machine. */
export function machineLine(machine: MachineInfo): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform} ${machine.release} ${machine.arch}, Node ${machine.node} (V8 ${machine.v8}), commit ${machine.commit}`;
}
