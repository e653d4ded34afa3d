/**
 * The chart README embeds: hand-written SVG, no dependency. Two panels of horizontal bars: `wave`
 * wall time per strategy (median, with a min–max whisker and the ideal as a dashed line) and
 * `storm` exchange calls per strategy (with the orphans they left).
 */
import type { ScenarioResult } from '../scenarios/scenario.js';
import type { MetricName } from './metrics.js';

const width = 760;
const labelWidth = 110;
const valueWidth = 150;
const barHeight = 22;
const barGap = 10;
const plotWidth = width - labelWidth - valueWidth - 20;
const colors = { registry: '#2563eb', other: '#9ca3af', ideal: '#16a34a', text: '#111827', muted: '#6b7280' };

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly caption: string;
}

function panel(top: number, title: string, subtitle: string, bars: readonly Bar[], marker?: { value: number; label: string }): [string, number] {
  const scale = Math.max(...bars.map((bar) => bar.max), marker?.value ?? 0) || 1;
  const x = (value: number) => labelWidth + (value / scale) * plotWidth;
  const parts: string[] = [
    `<text x="10" y="${top + 18}" font-size="15" font-weight="600" fill="${colors.text}">${escape(title)}</text>`,
    `<text x="10" y="${top + 36}" font-size="12" fill="${colors.muted}">${escape(subtitle)}</text>`,
  ];
  let y = top + 50;
  for (const bar of bars) {
    const color = bar.label === 'registry' ? colors.registry : colors.other;
    const barWidth = Math.max(2, x(bar.value) - labelWidth);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end" fill="${colors.text}">${escape(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" rx="2" fill="${color}"/>`,
    );
    if (bar.max > bar.min) {
      const middle = y + barHeight / 2;
      parts.push(
        `<line x1="${x(bar.min).toFixed(1)}" y1="${middle}" x2="${x(bar.max).toFixed(1)}" y2="${middle}" stroke="${colors.text}" stroke-width="1"/>`,
        `<line x1="${x(bar.min).toFixed(1)}" y1="${middle - 4}" x2="${x(bar.min).toFixed(1)}" y2="${middle + 4}" stroke="${colors.text}" stroke-width="1"/>`,
        `<line x1="${x(bar.max).toFixed(1)}" y1="${middle - 4}" x2="${x(bar.max).toFixed(1)}" y2="${middle + 4}" stroke="${colors.text}" stroke-width="1"/>`,
      );
    }
    const captionX = Math.max(x(bar.value), x(bar.max)) + 6;
    parts.push(`<text x="${captionX.toFixed(1)}" y="${y + 15}" font-size="12" fill="${colors.text}">${escape(bar.caption)}</text>`);
    y += barHeight + barGap;
  }
  if (marker !== undefined) {
    const markerX = x(marker.value).toFixed(1);
    parts.push(
      `<line x1="${markerX}" y1="${top + 44}" x2="${markerX}" y2="${y - barGap + 4}" stroke="${colors.ideal}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      `<text x="${(Number(markerX) + 4).toFixed(1)}" y="${y + 8}" font-size="11" fill="${colors.ideal}">${escape(marker.label)}</text>`,
    );
    y += 14;
  }
  return [parts.join('\n  '), y + 10];
}

function bars(result: ScenarioResult, metric: MetricName, caption: (strategy: string, value: number) => string): Bar[] {
  return Object.entries(result.strategies).flatMap(([strategy, metrics]) => {
    const summary = metrics[metric];
    if (summary === undefined) return [];
    return [{ label: strategy, value: summary.median, min: summary.min, max: summary.max, caption: caption(strategy, summary.median) }];
  });
}

/** The SVG, or undefined when neither `wave` nor `storm` ran. */
export function chartSvg(results: readonly ScenarioResult[], machineLine: string): string | undefined {
  const wave = results.find((result) => result.name === 'wave' && result.skipped === undefined);
  const storm = results.find((result) => result.name === 'storm' && result.skipped === undefined);
  if (wave === undefined && storm === undefined) return undefined;
  const panels: string[] = [];
  let y = 8;
  if (wave !== undefined) {
    const ideal = Object.values(wave.strategies)[0]?.idealMs?.median;
    const format = (value: number) => `${value.toLocaleString('en-US', { maximumFractionDigits: value >= 1000 ? 0 : 1 })} ms`;
    const [svg, next] = panel(
      y,
      'wave: wall time of a wave of creations (lower is better)',
      `${wave.parameters.creations} creations for ${wave.parameters.keys} keys, latency ${wave.parameters.latencyMs} ms, bound ${wave.parameters.concurrency}; median of ${wave.repetitions}, whisker min–max`,
      bars(wave, 'wallMs', (_, value) => format(value)),
      ideal === undefined ? undefined : { value: ideal, label: `ideal ${ideal} ms` },
    );
    panels.push(svg);
    y = next;
  }
  if (storm !== undefined) {
    const [svg, next] = panel(
      y,
      'storm: exchange calls for concurrent creations of one key (1 is right)',
      `${storm.parameters.creations} concurrent creations, latency ${storm.parameters.latencyMs} ms; orphans = orders left on the venue beyond one`,
      bars(storm, 'exchangeCalls', (strategy, value) => {
        const orphans = storm.strategies[strategy]?.orphans?.median ?? 0;
        return `${value} call${value === 1 ? '' : 's'}, ${orphans} orphan${orphans === 1 ? '' : 's'}`;
      }),
    );
    panels.push(svg);
    y = next;
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `  ${panels.join('\n  ')}`,
    `  <text x="10" y="${height - 8}" font-size="10" fill="${colors.muted}">${escape(machineLine)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
