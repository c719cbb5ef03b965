import {
  niceTicks,
  pngSize,
  RED_CHART_SIZE,
  redChartSvg,
  renderPng,
  timeTicks,
} from '../../src/chat/charts/index.js';

const from = Date.parse('2025-05-01T09:45:00Z');
const points = (values: (number | undefined)[]) =>
  values.map((value, i) => ({
    atMs: from + i * 60_000,
    requestRate: value,
    errorRate: value === undefined ? undefined : 0.01,
    p99Ms: 100,
  }));

describe('chart axes', () => {
  it('picks round ticks from zero', () => {
    expect(niceTicks(37, 5)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(0.032, 5)).toEqual([0, 0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(0, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('picks round times', () => {
    const ticks = timeTicks(Date.parse('2025-05-01T09:47:00Z'), Date.parse('2025-05-01T10:47:00Z'), 7);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      '09:50',
      '10:00',
      '10:10',
      '10:20',
      '10:30',
      '10:40',
    ]);
  });
});

describe('RED chart', () => {
  it('draws one line per version in each of the three panels, broken where data is missing', () => {
    // Act
    const svg = redChartSvg({
      title: 'RED of <reviews>',
      from: new Date(from),
      to: new Date(from + 15 * 60_000),
      timeZone: 'UTC',
      series: [
        { label: 'v1', points: points([1, 2, 3, 4]) },
        { label: 'v2 & co', points: points([1, undefined, 3, 4]) },
      ],
    });
    // Assess: v1 is one line per panel; v2's rate and error rate break into a dot and a line, its p99 does not.
    expect(svg.match(/<polyline /g)).toHaveLength(3 + 1 + 1 + 1);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('RED of &lt;reviews&gt;');
    expect(svg).toContain('>v2 &amp; co</text>');
    expect(svg).toContain(`width="${RED_CHART_SIZE.width}" height="${RED_CHART_SIZE.height}"`);
    for (const title of ['Request rate (req/s)', 'Error rate (%)', 'p99 latency (ms)'])
      expect(svg).toContain(title);
  });

  it('renders to a PNG of the chart size without a browser or system fonts', async () => {
    const png = await renderPng(
      redChartSvg({
        title: 'RED',
        from: new Date(from),
        to: new Date(from + 900_000),
        timeZone: 'UTC',
        series: [{ label: 'v1', points: points([1, 2]) }],
      }),
    );
    expect(pngSize(png)).toEqual(RED_CHART_SIZE);
  });
});
