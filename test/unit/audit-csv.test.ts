/**
 * The audit CSV: every value comes back whole through an RFC 4180 reader (commas, quotes, line breaks),
 * and no cell a spreadsheet reads can start a formula.
 */
import fc from 'fast-check';
import {
  AUDIT_CSV_COLUMNS,
  type AuditCsvRow,
  auditCsv,
  auditRowOf,
  csvField,
} from '../../src/domain/audit/index.js';

/** An RFC 4180 reader, written for the test: fields quoted or not, `""` inside quotes, CRLF records. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

const FORMULA = /^[=+\-@\t\r]/;
const neutralised = (value: string) => (FORMULA.test(value) ? `'${value}` : value);

/** Values rich in what breaks CSV and spreadsheets. */
const nasty = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', '=', '+', '-', '@', '\t', ' ', "'", 'é') }),
  fc.string(),
  fc.constantFrom('=HYPERLINK("http://x","y")', '+1+1', '-2', '@SUM(A1)', '\t=1', '\r=1', 'a,b', '"q"'),
);

const rowArbitrary = fc.record(
  Object.fromEntries(AUDIT_CSV_COLUMNS.map((c) => [c, nasty])) as Record<
    (typeof AUDIT_CSV_COLUMNS)[number],
    fc.Arbitrary<string>
  >,
);

describe('audit CSV', () => {
  it('reads back every value, formula starts neutralised, one record per row', () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { maxLength: 8 }), (rows: AuditCsvRow[]) => {
        const records = readCsv(auditCsv(rows));
        expect(records).toHaveLength(rows.length + 1);
        expect(records[0]).toEqual([...AUDIT_CSV_COLUMNS]);
        rows.forEach((row, i) => {
          expect(records[i + 1]).toEqual(AUDIT_CSV_COLUMNS.map((c) => neutralised(row[c])));
        });
        for (const record of records) for (const cell of record) expect(FORMULA.test(cell)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('quotes and neutralises one field', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('a,b\nc')).toBe('"a,b\nc"');
    expect(csvField('-1')).toBe(`"'-1"`);
    expect(csvField('plain')).toBe('"plain"');
  });

  it('says what the person saw and where they acted from', () => {
    const row = auditRowOf(
      {
        releaseId: 'r1',
        at: '2026-12-01T10:00:00.000Z',
        actor: 'U1',
        action: 'approve',
        cluster: 'prod',
        step: 1,
        stateVersion: 4,
        detail: {
          description: 'canary weight 25',
          verdict: 'pass',
          reasons: ['error rate 0.1% ≤ 1%', 'p99 120 ms ≤ 500 ms'],
          from: { channel: 'C1', team: 'T1' },
        },
      },
      { namespace: 'shop', service: 'reviews' },
    );
    expect(row).toMatchObject({
      at: '2026-12-01T10:00:00.000Z',
      actor: 'U1',
      action: 'approve',
      release: 'r1',
      cluster: 'prod',
      namespace: 'shop',
      service: 'reviews',
      step: '1',
      state_version: '4',
      saw: 'canary weight 25 | verdict pass: error rate 0.1% ≤ 1%; p99 120 ms ≤ 500 ms',
      channel: 'C1',
      workspace: 'T1',
    });
    expect(JSON.parse(row.detail)).toMatchObject({ verdict: 'pass' });
    const refused = auditRowOf(
      {
        releaseId: 'audit:shop/reviews',
        at: 'x',
        actor: 'U2',
        action: 'refused-audit',
        detail: { reason: 'no', channel: 'C2', team: 'T2' },
      },
      { namespace: 'shop', service: 'reviews' },
    );
    expect(refused).toMatchObject({
      saw: 'reason: no',
      channel: 'C2',
      workspace: 'T2',
      step: '',
      state_version: '',
    });
  });
});
