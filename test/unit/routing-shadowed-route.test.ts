import { cookieRegex } from '../../src/domain/routing/route-math.js';
import { findShadowingRoute, requestClassesOf } from '../../src/domain/routing/shadowed-route.js';
import type { HttpMatchRequest, HttpRoute } from '../../src/domain/routing/virtual-service.js';

const to = (subset: string) => [{ destination: { host: 'frontend', subset } }];
const testersRoute: HttpRoute = {
  name: 'testers',
  match: [{ headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }],
  route: to('v2'),
};
const defaultRoute: HttpRoute = { name: 'default', route: to('v1') };
const v3 = { host: 'frontend', subset: 'v3' };
const cookie = (pair: string): HttpMatchRequest[] => [{ headers: { cookie: { regex: cookieRegex(pair) } } }];

describe('a match route in front that takes the release requests', () => {
  it("is found: the weather app's own testers route takes the cookie user=tester", () => {
    const found = findShadowingRoute(
      [testersRoute, defaultRoute],
      1,
      requestClassesOf(cookie('user=tester')),
      v3,
    );

    expect(found).toMatchObject({ index: 0, route: '"testers"' });
    expect(found?.request.description).toBe('cookie: user=tester');
  });

  it('is not found for requests the route in front does not take', () => {
    expect(
      findShadowingRoute([testersRoute, defaultRoute], 1, requestClassesOf(cookie('user=qa')), v3),
    ).toBeUndefined();
    const header = [{ headers: { 'end-user': { exact: 'jason' } } }];
    expect(findShadowingRoute([testersRoute, defaultRoute], 1, requestClassesOf(header), v3)).toBeUndefined();
  });

  it('names an unnamed catch-all in front, and a header route that takes every value the release matches', () => {
    const classes = requestClassesOf([{ headers: { 'end-user': { exact: 'jason' } } }]);
    expect(findShadowingRoute([{ route: to('v1') }, defaultRoute], 1, classes, v3)?.route).toBe(
      '#1 (unnamed)',
    );
    const anyJ: HttpRoute = {
      name: 'j-users',
      match: [{ headers: { 'end-user': { regex: 'j.*' } } }],
      route: to('v3'),
    };
    expect(
      findShadowingRoute([anyJ, defaultRoute], 1, classes, { host: 'frontend', subset: 'v2' })?.route,
    ).toBe('"j-users"');
  });

  it('does not count routes that take only some of the requests (another URI, another caller)', () => {
    const classes = requestClassesOf([{ headers: { 'end-user': { exact: 'jason' } } }]);
    const api: HttpRoute = { name: 'api', match: [{ uri: { prefix: '/api' } }], route: to('v3') };
    const fromFrontend: HttpRoute = {
      name: 'pin',
      match: [{ sourceLabels: { app: 'frontend' } }],
      route: to('v3'),
    };
    expect(findShadowingRoute([api, fromFrontend, defaultRoute], 2, classes, v3)).toBeUndefined();
  });

  it("ignores the bot's own routes and routes behind the insertion point", () => {
    const bots: HttpRoute = { ...testersRoute, name: 'canary-bot-r1-ab' };
    const classes = requestClassesOf(cookie('user=tester'));
    expect(findShadowingRoute([bots, defaultRoute], 1, classes, v3)).toBeUndefined();
    expect(findShadowingRoute([defaultRoute, testersRoute], 0, classes, v3)).toBeUndefined();
    // A route in front that already sends the requests where the release wants them takes nothing away.
    expect(
      findShadowingRoute([testersRoute, defaultRoute], 1, classes, { host: 'frontend', subset: 'v2' }),
    ).toBeUndefined();
  });

  it('derives browser-shaped cookie headers, which the bot route matches and Istio docs regex does not', () => {
    const classes = requestClassesOf(cookie('user=tester'));
    expect(classes.map((c) => c.headers.cookie)).toEqual([
      'user=tester',
      'session=4f2a9c; user=tester; theme=dark',
    ]);
    expect(requestClassesOf([{ headers: { 'user-agent': { regex: '.*Mobile.*' } } }])).toEqual([]);
  });
});

describe('the first route that takes a request decides', () => {
  it('does not blame a route behind one that already sends the request to the release destination', () => {
    const classes = requestClassesOf(cookie('user=tester'));
    const toV3 = { ...testersRoute, name: 'testers-v3', route: to('v3') };
    expect(findShadowingRoute([toV3, testersRoute, defaultRoute], 2, classes, v3)).toBeUndefined();
    expect(findShadowingRoute([testersRoute, toV3, defaultRoute], 2, classes, v3)?.route).toBe('"testers"');
  });
});
