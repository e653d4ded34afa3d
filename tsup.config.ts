import { defineConfig } from 'tsup';

/** Every public entry point; package.json `exports` lists exactly these. */
export const entries = {
  index: 'src/index.ts',
  'stores/sqlite': 'src/stores/sqlite.ts',
  'stores/postgres': 'src/stores/postgres.ts',
  'placers/ccxt': 'src/placers/ccxt.ts',
  'testing/index': 'src/testing/index.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  // p-limit (and its yocto-queue) are ESM-only: bundle them so `require()` works in the CJS build.
  noExternal: ['p-limit', 'yocto-queue'],
  // The conformance suites run in the user's test runner: never bundle it.
  external: ['vitest', 'fast-check'],
});
