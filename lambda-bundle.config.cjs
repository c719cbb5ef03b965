// esbuild settings of the Lambda bundles, in one place: serverless-esbuild loads this file (custom.esbuild.config
// in serverless.yml) and bench/deploy/run.ts builds with the same options, so the benchmark measures what ships.
// CommonJS because serverless-esbuild loads it with require().

/** Some bundled CommonJS dependencies call require() for Node built-ins; an ES module has none of its own. */
const requireBanner =
  "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);";

/**
 * The chart renderer's files inside the bundle: src/chat/charts/chart-assets.ts reads resvg's WebAssembly
 * module and the font from node_modules; in a bundle it is replaced by a module that embeds both (esbuild's
 * binary loader), so a function needs no file beside its bundle. Keep the paths equal to CHART_ASSET_FILES
 * (test/integration/chart-bundle.test.ts renders a chart from a bundle with no node_modules around it).
 */
const chartAssetFiles = {
  wasm: '@resvg/resvg-wasm/index_bg.wasm',
  font: '@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf',
};
const embedChartAssets = {
  name: 'embed-chart-assets',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]chat[\\/]charts[\\/]chart-assets\.ts$/ }, (args) => ({
      resolveDir: require('node:path').dirname(args.path),
      loader: 'ts',
      contents: [
        `export const CHART_ASSET_FILES = ${JSON.stringify(chartAssetFiles)} as const;`,
        // Dynamic imports: the files are decoded on the first chart, not at every cold start.
        'export async function loadChartAssets() {',
        `  const [wasm, font] = await Promise.all([import('${chartAssetFiles.wasm}'), import('${chartAssetFiles.font}')]);`,
        '  return { wasm: wasm.default, font: font.default };',
        '}',
      ].join('\n'),
    }));
  },
};

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
    loader: { '.wasm': 'binary', '.ttf': 'binary' },
    plugins: [embedChartAssets],
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
