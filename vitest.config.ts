import { defineConfig } from 'vitest/config';

// One run covers every workspace; each package keeps its tests beside its code or in test/.
export default defineConfig({
  test: {
    include: ['{protocol,enclave,backend,extension}/{src,test}/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
