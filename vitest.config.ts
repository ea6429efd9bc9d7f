import { defineConfig } from 'vitest/config';

// Two projects named for the test kinds; files sit beside the code they test.
// Unit tests run first (fast feedback), integration tests after, with at most 2 workers (2-core machines).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.unit.test.ts'], sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts'],
          pool: 'forks',
          // One integration file at a time: these tests run real servers, emulators and child processes with leases
          // and timeouts; on a 2-core machine parallel files starve each other (lease expiries → re-sends).
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      // The Flex UI plugin package (own package.json/lock; `npm --prefix flex-plugin ci` runs first in `npm test`).
      'flex-plugin/vitest.config.ts',
    ],
  },
});
