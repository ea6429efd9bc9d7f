import { defineConfig } from 'vitest/config';

// Two projects named for the test kinds; files sit beside the code they test.
export default defineConfig({
  test: {
    reporters: ['default'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.unit.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts'],
          pool: 'forks',
          maxWorkers: 2,
        },
      },
    ],
  },
});
