/**
 * The bytes the PNG renderer needs: resvg's WebAssembly module and the chart font (Inter, SIL Open Font
 * License; its copyright and licence travel inside the font file). Read from the npm packages here; in a
 * Lambda bundle this module is replaced by one that embeds both files (lambda-bundle.config.cjs), so a
 * function needs no file beside its bundle and never reads system fonts.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The files, as npm package paths. */
export const CHART_ASSET_FILES = {
  wasm: '@resvg/resvg-wasm/index_bg.wasm',
  font: '@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf',
} as const;

/** resvg's module and the font. */
export interface ChartAssets {
  readonly wasm: Uint8Array;
  readonly font: Uint8Array;
}

/**
 * Loads the assets.
 *
 * @example const { wasm, font } = await loadChartAssets();
 */
export async function loadChartAssets(): Promise<ChartAssets> {
  const require = createRequire(import.meta.url);
  const [wasm, font] = await Promise.all([
    readFile(require.resolve(CHART_ASSET_FILES.wasm)),
    readFile(require.resolve(CHART_ASSET_FILES.font)),
  ]);
  return { wasm, font };
}
