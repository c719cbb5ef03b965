// esbuild settings of the Lambda bundles, in one place: serverless-esbuild loads this file (custom.esbuild.config
// in serverless.yml) and bench/deploy/run.ts builds with the same options, so the benchmark measures what ships.
// CommonJS because serverless-esbuild loads it with require().

/** Some bundled CommonJS dependencies call require() for Node built-ins; an ES module has none of its own. */
const requireBanner =
  "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);";

/** serverless-esbuild's own options (not esbuild's): bench/deploy/run.ts leaves these out. */
const pluginOnlyOptions = [
  'exclude',
  'outputFileExtension',
  'outputWorkFolder',
  'packager',
  'concurrency',
  'zipConcurrency',
];

/** The build options of every function's bundle (one bundle per function, everything inlined). */
function lambdaBundleOptions() {
  return {
    // serverless-esbuild builds in <service>/.esbuild; a test packaging in parallel with someone else moves it.
    ...(process.env.LAMBDA_BUNDLE_WORK_FOLDER
      ? { outputWorkFolder: process.env.LAMBDA_BUNDLE_WORK_FOLDER }
      : {}),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // ES module builds of the AWS SDK and others tree-shake better than their CommonJS builds.
    mainFields: ['module', 'main'],
    outputFileExtension: '.mjs',
    banner: { js: requireBanner },
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // Nothing external: the Lambda runtime's own AWS SDK is not used, so the bundle pins its versions,
    // and no node_modules folder is installed into the zip (packaging needs no registry).
    exclude: ['*'],
    external: [],
    packager: 'npm',
    // Two cores: five parallel builds only thrash.
    concurrency: 2,
    zipConcurrency: 2,
  };
}

module.exports = lambdaBundleOptions;
module.exports.pluginOnlyOptions = pluginOnlyOptions;
