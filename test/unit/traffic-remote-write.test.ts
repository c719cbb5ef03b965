import snappy from 'snappyjs';
import {
  batchSeries,
  encodeWriteRequest,
  type MetricSeries,
  PrometheusRemoteWriter,
  RemoteWriteError,
  snappyCompress,
  sortedLabels,
} from '../../local/traffic/remote-write.js';

/** A test-side protobuf reader for prometheus.WriteRequest, written from the .proto field numbers. */
function decodeWriteRequest(bytes: Uint8Array) {
  const fields = (buffer: Uint8Array) => {
    const out: { field: number; wire: number; varint?: bigint; bytes?: Uint8Array; fixed64?: DataView }[] =
      [];
    let pos = 0;
    const varint = () => {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        const byte = buffer[pos++]!;
        result |= BigInt(byte & 0x7f) << shift;
        shift += 7n;
        if (byte < 0x80) return result;
      }
    };
    while (pos < buffer.length) {
      const key = Number(varint());
      const field = key >> 3;
      const wire = key & 7;
      if (wire === 0) out.push({ field, wire, varint: varint() });
      else if (wire === 1) {
        out.push({ field, wire, fixed64: new DataView(buffer.buffer, buffer.byteOffset + pos, 8) });
        pos += 8;
      } else if (wire === 2) {
        const length = Number(varint());
        out.push({ field, wire, bytes: buffer.subarray(pos, pos + length) });
        pos += length;
      } else throw new Error(`unexpected wire type ${wire}`);
    }
    return out;
  };
  const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
  return fields(bytes).map((ts) => {
    expect(ts).toMatchObject({ field: 1, wire: 2 });
    const parts = fields(ts.bytes!);
    const labels = parts
      .filter((p) => p.field === 1)
      .map((p) => {
        const lf = fields(p.bytes!);
        return {
          name: text(lf.find((f) => f.field === 1)?.bytes),
          value: text(lf.find((f) => f.field === 2)?.bytes),
        };
      });
    const samples = parts
      .filter((p) => p.field === 2)
      .map((p) => {
        const sf = fields(p.bytes!);
        const value = sf.find((f) => f.field === 1)?.fixed64?.getFloat64(0, true) ?? 0;
        const ts64 = sf.find((f) => f.field === 2)?.varint ?? 0n;
        return { value, timestampMs: Number(BigInt.asIntN(64, ts64)) };
      });
    return { labels, samples };
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');

describe('encodeWriteRequest', () => {
  it('produces the bytes the proto spec prescribes for a one-sample series', () => {
    // Prepare: WriteRequest{timeseries: [{labels: [__name__=up, job=a], samples: [{1.0, 1000}]}]}
    const label1 = `0a08${ascii('__name__')}1202${ascii('up')}`; // 14 bytes
    const label2 = `0a03${ascii('job')}1201${ascii('a')}`; // 8 bytes
    const sample = '09000000000000f03f' + '10e807'; // double 1.0 little-endian, varint 1000; 12 bytes
    const series = `0a0e${label1}0a08${label2}120c${sample}`; // 40 bytes
    const expected = `0a28${series}`;

    // Act
    const bytes = encodeWriteRequest([
      { metric: 'up', labels: { job: 'a' }, samples: [{ value: 1, timestampMs: 1000 }] },
    ]);

    // Assess
    expect(hex(bytes)).toBe(expected);
  });

  it('leaves zero values out and writes negative int64 timestamps as 10-byte varints', () => {
    const bytes = encodeWriteRequest([{ metric: 'm', labels: {}, samples: [{ value: 0, timestampMs: -1 }] }]);

    // Sample = only the timestamp field: key 0x10 + ff*9 + 01.
    expect(hex(bytes).endsWith(`120b10${'ff'.repeat(9)}01`)).toBe(true);
    expect(decodeWriteRequest(bytes)[0]?.samples).toEqual([{ value: 0, timestampMs: -1 }]);
  });

  it('round-trips realistic series through a decoder, labels sorted with __name__', () => {
    // Prepare
    const series: MetricSeries[] = [
      {
        metric: 'istio_requests_total',
        labels: {
          response_code: '200',
          destination_version: 'v2',
          reporter: 'destination',
          source_app: 'ünïcode',
        },
        samples: [
          { value: 0, timestampMs: 1_700_000_000_000 },
          { value: 135, timestampMs: 1_700_000_015_000 },
          { value: 270.5, timestampMs: 1_700_000_030_000 },
        ],
      },
      { metric: 'up', labels: { job: 'x', empty: '' }, samples: [{ value: -2.25, timestampMs: 1 }] },
    ];

    // Act
    const decoded = decodeWriteRequest(encodeWriteRequest(series));

    // Assess
    expect(decoded).toEqual([
      {
        labels: [
          { name: '__name__', value: 'istio_requests_total' },
          { name: 'destination_version', value: 'v2' },
          { name: 'reporter', value: 'destination' },
          { name: 'response_code', value: '200' },
          { name: 'source_app', value: 'ünïcode' },
        ],
        samples: series[0]!.samples,
      },
      {
        labels: [
          { name: '__name__', value: 'up' },
          { name: 'job', value: 'x' },
        ],
        samples: [{ value: -2.25, timestampMs: 1 }],
      },
    ]);
  });

  it('refuses __name__ among the labels and fractional timestamps', () => {
    expect(() => sortedLabels({ metric: 'a', labels: { __name__: 'b' } })).toThrow(RangeError);
    expect(() =>
      encodeWriteRequest([{ metric: 'a', labels: {}, samples: [{ value: 1, timestampMs: 1.5 }] }]),
    ).toThrow(RangeError);
  });
});

describe('snappyCompress', () => {
  it('uses the block format: a varint length, no stream identifier chunk', () => {
    const raw = encodeWriteRequest([
      { metric: 'up', labels: { job: 'a' }, samples: [{ value: 1, timestampMs: 1000 }] },
    ]);

    const compressed = snappyCompress(raw);

    expect(compressed[0]).toBe(raw.length); // 42 < 128, so a one-byte varint
    expect(compressed[0]).not.toBe(0xff); // the framed format starts with 0xff 06 00 00 sNaPpY
    expect(hex(snappy.uncompress(compressed))).toBe(hex(raw));
  });
});

describe('batchSeries', () => {
  it('splits by sample count and keeps each series in time order across batches', () => {
    const s = (metric: string, n: number): MetricSeries => ({
      metric,
      labels: {},
      samples: Array.from({ length: n }, (_, i) => ({ value: i, timestampMs: i + 1 })),
    });

    const batches = batchSeries([s('a', 5), s('b', 2)], 3);

    expect(
      batches.map((b) => b.map((x) => `${x.metric}:${x.samples.map((p) => p.timestampMs).join(',')}`)),
    ).toEqual([['a:1,2,3'], ['a:4,5', 'b:1'], ['b:2']]);
  });
});

describe('PrometheusRemoteWriter', () => {
  const series: MetricSeries[] = [
    {
      metric: 'up',
      labels: { job: 'a' },
      samples: [1, 2, 3].map((i) => ({ value: i, timestampMs: i * 1000 })),
    },
  ];

  function recordingFetch(status = 204, body = '') {
    const calls: { url: string; init: RequestInit }[] = [];
    const fn = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(status === 204 ? null : body, { status });
    }) as unknown as typeof fetch;
    return { calls, fn };
  }

  it('posts snappy protobuf to /api/v1/write with the remote-write headers, batch by batch', async () => {
    // Prepare
    const { calls, fn } = recordingFetch();
    const writer = new PrometheusRemoteWriter({
      prometheusUrl: 'http://prom.test:9090/',
      maxSamplesPerRequest: 2,
      fetch: fn,
    });

    // Act
    await writer.write(series);

    // Assess
    expect(calls.map((c) => c.url)).toEqual([
      'http://prom.test:9090/api/v1/write',
      'http://prom.test:9090/api/v1/write',
    ]);
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.headers).toEqual({
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    });
    const sent = calls.map((c) => decodeWriteRequest(snappy.uncompress(c.init.body as Uint8Array)));
    expect(sent.map((request) => request.flatMap((ts) => ts.samples.map((p) => p.timestampMs)))).toEqual([
      [1000, 2000],
      [3000],
    ]);
  });

  it("throws RemoteWriteError with Prometheus' text on a non-2xx answer", async () => {
    const { fn } = recordingFetch(400, 'out of order sample\n');
    const writer = new PrometheusRemoteWriter({ prometheusUrl: 'http://prom.test:9090', fetch: fn });

    const error = await writer.write(series).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RemoteWriteError);
    expect(error).toMatchObject({
      name: 'RemoteWriteError',
      status: 400,
      responseText: 'out of order sample',
    });
    expect((error as Error).message).toContain('HTTP 400');
  });

  it('wraps a connection failure with its cause', async () => {
    const refused = new TypeError('fetch failed');
    const fn = (async () => {
      throw refused;
    }) as unknown as typeof fetch;
    const writer = new PrometheusRemoteWriter({ prometheusUrl: 'http://127.0.0.1:1', fetch: fn });

    const error = await writer.write(series).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RemoteWriteError);
    expect((error as RemoteWriteError).status).toBeUndefined();
    expect((error as RemoteWriteError).cause).toBe(refused);
  });
});
