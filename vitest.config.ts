import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and e2e tests open real sockets and a real terminal; two cores here.
    pool: 'forks',
    maxWorkers: 2,
    // Children some tests run through tsx would leave its transform cache in /tmp/tsx-<uid>/;
    // tests leave nothing in /tmp.
    env: { TSX_DISABLE_CACHE: '1' },
    globalSetup: ['tests/global-setup.ts'],
  },
});
