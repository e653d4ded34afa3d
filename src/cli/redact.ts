/**
 * Keeps the password of a `--postgres` URL out of everything the CLI prints: URLs are shown
 * with the password replaced, and every message is scrubbed of the password before it is written.
 */

/** `url` with its password (if any) replaced by `***`; the rest (user, host, port, database) stays. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unparsable URL)';
  }
  if (parsed.password !== '') parsed.password = '***';
  // Query parameters may carry a password or key material too (password=, sslpassword=, sslkey=).
  for (const name of [...parsed.searchParams.keys()]) {
    if (/pass|key|secret|token/i.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}

/** The secret strings of `url`: its password, raw and decoded, and secret-looking query values. */
export function secretsOf(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const secrets = new Set<string>();
  if (parsed.password !== '') {
    secrets.add(parsed.password);
    try {
      secrets.add(decodeURIComponent(parsed.password));
    } catch {
      // A malformed escape: the raw form is enough.
    }
  }
  for (const [name, value] of parsed.searchParams) {
    if (/pass|key|secret|token/i.test(name) && value !== '') secrets.add(value);
  }
  return [...secrets].filter((secret) => secret.length > 0);
}

/** `text` with every occurrence of each secret replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}
