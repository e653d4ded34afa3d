/**
 * SQL identifiers for the SQL stores. Table and schema names cannot be bound parameters, so they
 * are validated against a strict pattern before they are ever interpolated, then quoted.
 */

/** PostgreSQL truncates identifiers longer than 63 bytes (NAMEDATALEN - 1). */
const maximumIdentifierLength = 63;

/** Suffix of the one-row table that records a store table's schema version. */
export const schemaTableSuffix = '_schema';

/**
 * Longest table name: `<table>_schema` must still fit in 63 characters, otherwise PostgreSQL would
 * silently truncate it (possibly onto the table's own name).
 */
export const maximumTableNameLength = maximumIdentifierLength - schemaTableSuffix.length;

/**
 * Throws a `TypeError` naming the option and the value unless `value` is a plain SQL identifier:
 * a letter or underscore, then letters, digits or underscores, `maximumLength` characters at most.
 */
export function assertIdentifier(
  optionName: string,
  value: unknown,
  maximumLength: number = maximumIdentifierLength,
): asserts value is string {
  const pattern = new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${maximumLength - 1}}$`);
  if (typeof value !== 'string' || !pattern.test(value)) {
    const shown = typeof value === 'string' ? value : String(value);
    throw new TypeError(
      `Expected \`${optionName}\` to be an SQL identifier matching ${pattern} (a letter or underscore, then ` +
        `letters, digits or underscores, at most ${maximumLength} characters), got \`${shown}\` (${typeof value})`,
    );
  }
}

/** Quotes a validated identifier; quoting keeps its case and makes reserved words safe. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
