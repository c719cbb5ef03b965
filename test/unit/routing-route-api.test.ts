import fc from 'fast-check';
import { chooseRoute, parseVia, pinRefusal, type RouteApi } from '../../src/domain/routing/route-api.js';

const base = { service: 'reviews', namespace: 'bookinfo' } as const;

describe('chooseRoute: which route object a release drives', () => {
  it('drives the only API that has a route object named after the service', () => {
    expect(chooseRoute({ ...base, found: ['VirtualService'] })).toEqual({
      api: 'VirtualService',
      name: 'reviews',
    });
    expect(chooseRoute({ ...base, found: ['HTTPRoute'] })).toEqual({ api: 'HTTPRoute', name: 'reviews' });
  });

  it('refuses a service routed by both APIs, naming the way out', () => {
    const answer = chooseRoute({ ...base, found: ['VirtualService', 'HTTPRoute'] });
    expect(answer).toBe(
      'Both a VirtualService and an HTTPRoute named "reviews" exist in namespace bookinfo. Istio does not define which one routes reviews when both do, so a release on either could be overridden without a word: remove one, or say which to drive with --via virtualservice or --via httproute.',
    );
  });

  it('lets --via choose between the two, and --vs keep meaning a VirtualService', () => {
    const found: RouteApi[] = ['VirtualService', 'HTTPRoute'];
    expect(chooseRoute({ ...base, found, via: { api: 'HTTPRoute' } })).toEqual({
      api: 'HTTPRoute',
      name: 'reviews',
    });
    expect(chooseRoute({ ...base, found, virtualService: 'reviews' })).toEqual({
      api: 'VirtualService',
      name: 'reviews',
    });
    expect(
      chooseRoute({ ...base, found: ['HTTPRoute'], via: { api: 'HTTPRoute', name: 'reviews-mesh' } }),
    ).toEqual({ api: 'HTTPRoute', name: 'reviews-mesh' });
  });

  it('refuses an API that has no such object, and says what is there', () => {
    expect(chooseRoute({ ...base, found: ['VirtualService'], via: { api: 'HTTPRoute' } })).toBe(
      'There is no HTTPRoute "reviews" in namespace bookinfo (there is a VirtualService of that name); name the route object with --via httproute/NAME.',
    );
    expect(chooseRoute({ ...base, found: [] })).toBe(
      'Neither a VirtualService nor an HTTPRoute named "reviews" routes reviews in namespace bookinfo; name the route object with --vs NAME or --via httproute/NAME.',
    );
    expect(
      chooseRoute({ ...base, found: ['HTTPRoute'], virtualService: 'x', via: { api: 'HTTPRoute' } }),
    ).toBe('--vs names a VirtualService and --via httproute an HTTPRoute: give one of them.');
  });

  it('never drives an API the cluster does not have, whatever was asked (property)', () => {
    const api = fc.constantFrom<RouteApi>('VirtualService', 'HTTPRoute');
    fc.assert(
      fc.property(
        fc.uniqueArray(api, { maxLength: 2 }),
        fc.option(api, { nil: undefined }),
        fc.option(fc.constantFrom('reviews-vs', 'x'), { nil: undefined }),
        (found, via, vs) => {
          const answer = chooseRoute({
            ...base,
            found,
            ...(via ? { via: { api: via } } : {}),
            ...(vs ? { virtualService: vs } : {}),
          });
          if (typeof answer === 'string') return;
          expect(found).toContain(answer.api);
          // Without a choice, two APIs are never resolved silently.
          if (!via && !vs) expect(found).toHaveLength(1);
        },
      ),
    );
  });
});

describe('parseVia', () => {
  it('reads the API case-insensitively and an optional object name', () => {
    expect(parseVia('httproute')).toEqual({ api: 'HTTPRoute' });
    expect(parseVia('HTTPRoute/reviews-mesh')).toEqual({ api: 'HTTPRoute', name: 'reviews-mesh' });
    expect(parseVia('vs/reviews')).toEqual({ api: 'VirtualService', name: 'reviews' });
    expect(parseVia('grpcroute')).toBe(
      '--via takes virtualservice or httproute (optionally /NAME), not "grpcroute".',
    );
  });
});

describe('pinRefusal: a --with pin is refused where the route cannot express it, never dropped', () => {
  const pins = [{ service: 'productpage', version: 'v1' }];

  it('refuses pins on an HTTPRoute, naming them', () => {
    expect(pinRefusal('HTTPRoute', pins)).toMatch(
      /^--with productpage=v1 pins callers by their pods' labels, which an HTTPRoute cannot express/,
    );
  });

  it('refuses pins on a VirtualService behind a waypoint, naming the waypoint', () => {
    expect(pinRefusal('VirtualService', pins, 'reviews-waypoint')).toMatch(
      /the waypoint reviews-waypoint in front of this service ignores/,
    );
  });

  it('lets pins through on a sidecar VirtualService, and asks nothing of a release without pins', () => {
    expect(pinRefusal('VirtualService', pins)).toBeUndefined();
    expect(pinRefusal('HTTPRoute', [])).toBeUndefined();
  });
});
