/** README's quick start is the runnable examples/quick-start.ts, word for word (the example test runs it). */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

it("README's quick start is examples/quick-start.ts, with the package name in the import", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const snippet = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  const example = readFileSync(join(root, 'examples', 'quick-start.ts'), 'utf8').replace(/^\/\*\*[\s\S]*?\*\/\n/, '');
  expect(example.replace("from '../src/index.js';", "from 'trailing-stop-registry';")).toBe(snippet);
});
