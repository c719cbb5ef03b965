/**
 * Prometheus remote write 1.0: a hand-rolled protobuf encoder for prometheus.WriteRequest, snappy
 * block compression, and an HTTP writer that batches large writes.
 *
 * Field numbers (prompb/remote.proto, prompb/types.proto):
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 */
import snappy from 'snappyjs';

export interface Sample {
  value: number;
  /** Milliseconds since the epoch, an integer. */
  timestampMs: number;
}

/** One series: metric name, labels (without `__name__`) and samples in increasing time order. */
export interface MetricSeries {
  metric: string;
  labels: Readonly<Record<string, string>>;
  samples: readonly Sample[];
}

export interface PromLabel {
  name: string;
  value: string;
}

/** Anything that accepts series; the Prometheus writer in the bed, a recorder in unit tests. */
export interface SampleWriter {
  write(series: readonly MetricSeries[]): Promise<void>;
}

/** A write Prometheus refused (with its response text) or could not receive. */
export class RemoteWriteError extends Error {
  override readonly name = 'RemoteWriteError';
  /** HTTP status; undefined when the request never got an answer. */
  readonly status: number | undefined;
  /** Prometheus' explanation, e.g. `out of order sample`. */
  readonly responseText: string;

  constructor(message: string, details: { status?: number; responseText?: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.status = details.status;
    this.responseText = details.responseText ?? '';
  }
}

/**
 * Labels of a series as Prometheus wants them: `__name__` included, sorted by name, empty values
 * dropped (Prometheus treats an empty label as an absent one).
 */
export function sortedLabels(series: Pick<MetricSeries, 'metric' | 'labels'>): PromLabel[] {
  if ('__name__' in series.labels) throw new RangeError('labels must not carry __name__; use metric');
  const labels: PromLabel[] = [{ name: '__name__', value: series.metric }];
  for (const [name, value] of Object.entries(series.labels)) if (value !== '') labels.push({ name, value });
  // Byte order, as Go compares strings; label names are ASCII.
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;

/**
 * Encodes a prometheus.WriteRequest (uncompressed protobuf).
 * @example encodeWriteRequest([{ metric: 'up', labels: { job: 'x' }, samples: [{ value: 1, timestampMs: 1000 }] }])
 */
export function encodeWriteRequest(series: readonly MetricSeries[]): Uint8Array {
  const utf8 = new TextEncoder();
  const strings = new Map<string, Uint8Array>();
  const bytesOf = (s: string) => {
    let bytes = strings.get(s);
    if (!bytes) {
      bytes = utf8.encode(s);
      strings.set(s, bytes);
    }
    return bytes;
  };

  // First pass: sizes, because every nested message is prefixed with its length.
  const plans = series.map((s) => {
    const labels = sortedLabels(s).map((l) => {
      const name = bytesOf(l.name);
      const value = bytesOf(l.value);
      return { name, value, size: stringFieldSize(name) + stringFieldSize(value) };
    });
    const samples = s.samples.map((sample) => ({ sample, size: sampleSize(sample) }));
    const size =
      labels.reduce((n, l) => n + nestedFieldSize(l.size), 0) +
      samples.reduce((n, p) => n + nestedFieldSize(p.size), 0);
    return { labels, samples, size };
  });
  const total = plans.reduce((n, p) => n + nestedFieldSize(p.size), 0);

  const out = new ProtobufWriter(total);
  for (const plan of plans) {
    out.key(1, WIRE_LENGTH_DELIMITED).varint(plan.size);
    for (const label of plan.labels) {
      out.key(1, WIRE_LENGTH_DELIMITED).varint(label.size);
      if (label.name.length > 0)
        out.key(1, WIRE_LENGTH_DELIMITED).varint(label.name.length).bytes(label.name);
      if (label.value.length > 0)
        out.key(2, WIRE_LENGTH_DELIMITED).varint(label.value.length).bytes(label.value);
    }
    for (const { sample, size } of plan.samples) {
      out.key(2, WIRE_LENGTH_DELIMITED).varint(size);
      // proto3 leaves zero values out.
      if (sample.value !== 0) out.key(1, WIRE_FIXED64).double(sample.value);
      if (sample.timestampMs !== 0) out.key(2, WIRE_VARINT).int64(sample.timestampMs);
    }
  }
  return out.finish();
}

function stringFieldSize(bytes: Uint8Array): number {
  return bytes.length === 0 ? 0 : 1 + varintSize(bytes.length) + bytes.length;
}

function nestedFieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

function sampleSize(sample: Sample): number {
  if (!Number.isSafeInteger(sample.timestampMs)) {
    throw new RangeError(`sample timestamp must be an integer of milliseconds, got ${sample.timestampMs}`);
  }
  return (sample.value !== 0 ? 9 : 0) + (sample.timestampMs !== 0 ? 1 + int64Size(sample.timestampMs) : 0);
}

function varintSize(n: number): number {
  let size = 1;
  for (let rest = n; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}

// A negative int64 is its two's complement as a 64-bit varint: always 10 bytes.
function int64Size(n: number): number {
  return n < 0 ? 10 : varintSize(n);
}

class ProtobufWriter {
  private readonly buffer: Uint8Array;
  private readonly view: DataView;
  private position = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
    this.view = new DataView(this.buffer.buffer);
  }

  key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  // Division instead of bit shifts: timestamps in ms exceed 32 bits.
  varint(n: number): this {
    let rest = n;
    while (rest >= 128) {
      this.buffer[this.position++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.position++] = rest;
    return this;
  }

  int64(n: number): this {
    if (n >= 0) return this.varint(n);
    let rest = BigInt.asUintN(64, BigInt(n));
    while (rest >= 128n) {
      this.buffer[this.position++] = Number(rest % 128n) | 0x80;
      rest /= 128n;
    }
    this.buffer[this.position++] = Number(rest);
    return this;
  }

  double(value: number): this {
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
    return this;
  }

  finish(): Uint8Array {
    if (this.position !== this.buffer.length) {
      throw new Error(`protobuf size mismatch: planned ${this.buffer.length} bytes, wrote ${this.position}`);
    }
    return this.buffer;
  }
}

/** Snappy block format (not framed), as remote write requires. */
export function snappyCompress(bytes: Uint8Array): Uint8Array {
  return snappy.compress(bytes);
}

/** Splits series into batches of at most `maxSamples` samples, keeping each series' samples in order. */
export function batchSeries(series: readonly MetricSeries[], maxSamples: number): MetricSeries[][] {
  if (!(maxSamples >= 1)) throw new RangeError(`maxSamples must be at least 1, got ${maxSamples}`);
  const batches: MetricSeries[][] = [];
  let batch: MetricSeries[] = [];
  let room = maxSamples;
  for (const s of series) {
    let offset = 0;
    while (offset < s.samples.length) {
      const take = Math.min(room, s.samples.length - offset);
      batch.push({ metric: s.metric, labels: s.labels, samples: s.samples.slice(offset, offset + take) });
      offset += take;
      room -= take;
      if (room === 0) {
        batches.push(batch);
        batch = [];
        room = maxSamples;
      }
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export interface RemoteWriterOptions {
  /** Base URL, e.g. `http://127.0.0.1:9090`; the writer posts to `/api/v1/write`. */
  prometheusUrl: string;
  /** Default 10,000 samples per request. */
  maxSamplesPerRequest?: number;
  /** Default 30 s per request. */
  timeoutMs?: number;
  /** Injected in unit tests; default the global fetch. */
  fetch?: typeof fetch;
}

/**
 * Writes series to Prometheus' remote-write receiver (`--web.enable-remote-write-receiver`), batch by
 * batch in order, so one series' samples arrive in time order.
 * @example await new PrometheusRemoteWriter({ prometheusUrl: 'http://127.0.0.1:9090' }).write(series)
 */
export class PrometheusRemoteWriter implements SampleWriter {
  readonly endpoint: string;
  private readonly maxSamples: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: RemoteWriterOptions) {
    this.endpoint = `${options.prometheusUrl.replace(/\/+$/, '')}/api/v1/write`;
    this.maxSamples = options.maxSamplesPerRequest ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  async write(series: readonly MetricSeries[]): Promise<void> {
    for (const batch of batchSeries(series, this.maxSamples)) await this.post(batch);
  }

  private async post(batch: readonly MetricSeries[]): Promise<void> {
    const body = snappyCompress(encodeWriteRequest(batch));
    let response: Response;
    try {
      response = await this.fetchFn(this.endpoint, {
        method: 'POST',
        headers: {
          'Content-Encoding': 'snappy',
          'Content-Type': 'application/x-protobuf',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new RemoteWriteError(`remote write to ${this.endpoint} failed: ${String(cause)}`, { cause });
    }
    if (response.ok) {
      await response.arrayBuffer();
      return;
    }
    const responseText = (await response.text().catch(() => '')).trim();
    throw new RemoteWriteError(
      `Prometheus refused a remote write (HTTP ${response.status}) at ${this.endpoint}: ${responseText}`,
      { status: response.status, responseText },
    );
  }
}
