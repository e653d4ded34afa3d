/** bench/results/latest.md: the same tables as stdout, as GitHub markdown, with the machine and targets. */
import type { ScenarioResult } from '../scenarios/scenario.js';
import type { MachineInfo } from '../support/machine.js';
import { grid, parameterLine } from './cells.js';
import { machineLine } from './table.js';
import type { RunInfo } from './results.js';
import type { TargetOutcome } from './targets.js';

/** A GFM table; the first `leftColumns` columns are left-aligned, the rest (numbers) right-aligned. */
function table(heading: string[], rows: string[][], leftColumns = 1): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const rule = `| ${heading.map((_, column) => (column < leftColumns ? '---' : '---:')).join(' | ')} |`;
  return [line(heading), rule, ...rows.map(line)].join('\n');
}

/** The markdown report. `chart` is the SVG's file name, relative to the report. */
export function markdownReport(
  machine: MachineInfo,
  run: RunInfo,
  results: readonly ScenarioResult[],
  targets: readonly TargetOutcome[],
  chart: string | undefined,
): string {
  const parts: string[] = [
    '# Benchmark results',
    '',
    `Machine: ${machineLine(machine)}.`,
    '',
    `Run: ${machine.date}, ${run.quick ? 'quick mode (smaller sizes, one run each: indicative only)' : 'full mode'}` +
      `${run.only === null ? '' : `, only ${run.only.join(', ')}`}, ${run.seconds.toFixed(0)} s. ` +
      `${run.isolated ? 'Each scenario ran in a process of its own, its strategies side by side in it' : 'All scenarios ran in one process, each with its strategies side by side'}, ` +
      'each repetition in a fresh random order on a fresh venue and store. ' +
      'Cells show the median, with min–max when the runs differed.',
    '',
  ];
  if (chart !== undefined) parts.push(`![wave wall time and storm exchange calls](${chart})`, '');
  parts.push('## Targets', '', table(['scenario', 'target', 'measured (median)', 'status'], targets.map((t) => [t.scenario, t.target, t.measured, t.status]), 4), '');
  for (const result of results) {
    parts.push(`## ${result.name}`, '', `${result.description}.`, '');
    if (result.skipped !== undefined) {
      parts.push(`Skipped: ${result.skipped}`, '');
      continue;
    }
    const { heading, rows } = grid(result);
    parts.push(`${parameterLine(result)}.`, '', table(heading, rows), '');
    for (const note of result.notes) parts.push(`- ${note}`);
    if (result.notes.length > 0) parts.push('');
  }
  return parts.join('\n');
}
