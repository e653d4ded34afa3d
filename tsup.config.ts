import { defineConfig } from 'tsup';

/** Every public entry point; package.json `exports` lists exactly these. */
export const entries = {
  index: 'src/index.ts',
  'stores/sqlite': 'src/stores/sqlite.ts',
  'stores/postgres': 'src/stores/postgres.ts',
  'placers/ccxt': 'src/placers/ccxt.ts',
  'testing/index': 'src/testing/index.ts',
  'metrics/index': 'src/metrics/index.ts',
};

export default defineConfig([
  {
    entry: entries,
    format: ['esm', 'cjs'],
    dts: true,
    // Leaves dist/cli to the CLI build below, which runs at the same time.
    clean: ['!cli/**'],
    sourcemap: true,
    target: 'node20',
    splitting: true,
    // p-limit (and its yocto-queue) are ESM-only: bundle them so `require()` works in the CJS build.
    noExternal: ['p-limit', 'yocto-queue'],
    // The conformance suites run in the user's test runner: never bundle it.
    external: ['vitest', 'fast-check'],
  },
  {
    // The `trailing-stop-registry` command (package.json `bin`): one ESM file with its shebang,
    // made executable by tsup. It loads better-sqlite3 or pg from the user's project at run time.
    entry: { index: 'src/cli/index.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    dts: false,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: false,
  },
]);
