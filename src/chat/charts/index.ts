/** Charts as PNG without a browser: RED over time as SVG (pure), rendered by resvg with a bundled font. */

export { CHART_ASSET_FILES, type ChartAssets, loadChartAssets } from './chart-assets.js';
export { niceTicks, tickLabel, timeTicks } from './chart-axis.js';
export { ChartRenderError, pngSize, renderPng } from './png.js';
export {
  CHART_FONT_FAMILY,
  CHART_MAX_SERIES,
  type ChartPoint,
  type ChartSeries,
  escapeXml,
  RED_CHART_SIZE,
  type RedChart,
  redChartSvg,
  SERIES_COLOURS,
} from './red-chart.js';
