/** Plain-text rendering for operators: aligned tables and values safe to print on a terminal. */

/**
 * `value` as one printable cell: control characters (a key or owner edited by hand could hold a
 * newline or a terminal escape) are shown escaped, `null` and `undefined` as `-`.
 */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A table with a header row, columns separated by two spaces, no trailing spaces. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (row: readonly string[]): string => row.map((value, column) => value.padEnd(widths[column]!)).join('  ').trimEnd();
  return `${[headers, ...rows].map(line).join('\n')}\n`;
}

/** A ms epoch as an ISO 8601 UTC time to the second, or the raw value when it is no valid time. */
export function formatTime(epochMs: unknown): string {
  if (typeof epochMs !== 'number' || !Number.isFinite(epochMs)) return cell(epochMs);
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? cell(epochMs) : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `1 record` / `3 records`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
