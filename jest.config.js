// Tests run as native ESM (the Kubernetes client is ESM-only); swc strips the types.
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
  ],
};
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** @type {import('jest').Config} */
export default {
  reporters: ['default', '<rootDir>/test/jest/summary-reporter.js'],
  testTimeout: 180_000,
  projects: [
    // Pure code: no component, no network.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // Real components: the project's global setup brings the test bed up (or reuses a running one).
    {
      ...common,
      displayName: 'bed',
      testMatch: [
        '<rootDir>/test/integration/**/*.test.ts',
        '<rootDir>/test/e2e/**/*.test.ts',
        '<rootDir>/test/reliability/**/*.test.ts',
      ],
      globalSetup: '<rootDir>/test/jest/global-setup.js',
      globalTeardown: '<rootDir>/test/jest/global-teardown.js',
    },
  ],
};
