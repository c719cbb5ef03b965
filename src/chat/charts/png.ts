/**
 * SVG to PNG without a browser: resvg (Rust, as WebAssembly, so the same bytes run on x86 and on Lambda's
 * arm64) with the bundled font only; system fonts are never loaded.
 */
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { type ChartAssets, loadChartAssets } from './chart-assets.js';
import { CHART_FONT_FAMILY } from './red-chart.js';

/** The renderer could not start or refused the SVG. */
export class ChartRenderError extends Error {
  override readonly name = 'ChartRenderError';
}

let ready: Promise<ChartAssets> | undefined;

/** Instantiates resvg once per process; a failure is not cached. */
function renderer(): Promise<ChartAssets> {
  ready ??= (async () => {
    const assets = await loadChartAssets();
    await initWasm(assets.wasm);
    return assets;
  })().catch((error: unknown) => {
    ready = undefined;
    throw new ChartRenderError('The chart renderer (resvg) could not start.', { cause: error });
  });
  return ready;
}

/**
 * The PNG of an SVG document, at the SVG's own size.
 *
 * @example const png = await renderPng(redChartSvg(chart)); // Uint8Array starting with 89 50 4E 47
 */
export async function renderPng(svg: string): Promise<Uint8Array> {
  const { font } = await renderer();
  let resvg: InstanceType<typeof Resvg> | undefined;
  try {
    resvg = new Resvg(svg, {
      font: { fontBuffers: [font], defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY },
      fitTo: { mode: 'original' },
    });
    return resvg.render().asPng();
  } catch (error) {
    throw new ChartRenderError('The chart could not be drawn.', { cause: error });
  } finally {
    resvg?.free();
  }
}

/** Width and height of a PNG, from its IHDR chunk; undefined when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((byte, i) => png[i] !== byte)) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR') return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
