/**
 * The Lambda bundles as serverless-esbuild builds them (the options of lambda-bundle.config.cjs), built
 * here with esbuild's metafile so that a benchmark or a test can say what each bundle holds.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';

/** The repository root (where serverless.yml lives). */
export const SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The functions of serverless.yml; each one's handler is handlers/<name>.ts. */
export const LAMBDA_FUNCTIONS = ['slack', 'worker', 'tick', 'summary', 'flagger'] as const;
export type LambdaFunctionName = (typeof LAMBDA_FUNCTIONS)[number];

type BundleOptionsModule = (() => Record<string, unknown>) & { pluginOnlyOptions: string[] };

/** esbuild's options of the Lambda bundles: lambda-bundle.config.cjs without serverless-esbuild's own keys. */
export function lambdaEsbuildOptions(): BuildOptions {
  const load = createRequire(import.meta.url)(
    join(SERVICE_DIR, 'lambda-bundle.config.cjs'),
  ) as BundleOptionsModule;
  const options = load();
  const outExtension = { '.js': String(options.outputFileExtension) };
  for (const key of load.pluginOnlyOptions) delete options[key];
  return { ...(options as BuildOptions), outExtension };
}

/** One built bundle. */
export interface LambdaBundle {
  name: LambdaFunctionName;
  /** The .mjs file. */
  file: string;
  bytes: number;
  /** Deflated at level 1 like the deployed zip (serverless-esbuild's archiver defaults to it); ~150 bytes less. */
  deflatedBytes: number;
  /** Bytes in the output per npm package (`src` for the project's own code), largest first. */
  packages: [string, number][];
}

/**
 * Builds one function's bundle into `outDir` with the deployed options plus a metafile.
 *
 * @example const bundle = await buildLambdaBundle('slack', '/tmp/bundles'); bundle.packages[0]; // ['@slack/bolt', 84211]
 */
export async function buildLambdaBundle(name: LambdaFunctionName, outDir: string): Promise<LambdaBundle> {
  mkdirSync(outDir, { recursive: true });
  const options = lambdaEsbuildOptions();
  const result = await build({
    ...options,
    absWorkingDir: SERVICE_DIR,
    entryPoints: { [name]: `handlers/${name}.ts` },
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
  });
  const file = join(outDir, `${name}${options.outExtension?.['.js'] ?? '.js'}`);
  const content = readFileSync(file);
  return {
    name,
    file,
    bytes: content.length,
    deflatedBytes: deflateRawSync(content, { level: 1 }).length,
    packages: bytesPerPackage(result.metafile),
  };
}

/** True when any input of the bundle comes from the npm package `name`. */
export function bundleIncludes(bundle: LambdaBundle, name: string): boolean {
  return bundle.packages.some(([pkg]) => pkg === name);
}

function bytesPerPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const pkg = match?.[1] ?? 'src';
      totals.set(pkg, (totals.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
}
