import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'flex-plugin', include: ['src/**/*.unit.test.ts'], testTimeout: 30_000 },
});
