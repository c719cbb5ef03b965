import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { flaggerNamespaceKey, keyGeneration } from '../../src/flagger/namespace-key.js';

const master = 'flagger-master-0123456789abcdef';

describe('Flagger keys per namespace', () => {
  it('is HMAC-SHA256 of the namespace under the master secret, base64url without padding', () => {
    // Act
    const key = flaggerNamespaceKey(master, 'bookinfo');
    // Assess
    expect(key).toBe(createHmac('sha256', master).update('bookinfo').digest('base64url'));
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives every namespace its own key, valid for that namespace only', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/),
        fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/),
        (a, b) => {
          fc.pre(a !== b);
          const keyOfA = flaggerNamespaceKey(master, a);
          expect(keyGeneration({ current: master }, a, keyOfA)).toBe('current');
          expect(keyGeneration({ current: master }, b, keyOfA)).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts a key of the previous master only while that master is configured', () => {
    const old = flaggerNamespaceKey(master, 'bookinfo');
    const next = 'the-next-flagger-master-0123456789';
    expect(keyGeneration({ current: next, previous: master }, 'bookinfo', old)).toBe('previous');
    expect(keyGeneration({ current: next }, 'bookinfo', old)).toBeUndefined();
    expect(keyGeneration({ current: next }, 'bookinfo', master)).toBeUndefined();
  });
});
