import { describe, expect, it } from 'vitest';
import { bpuSlipHref, caseHref, parseRoute, routeHref } from './route';

describe('parseRoute', () => {
  it('reads each screen', () => {
    expect(parseRoute('')).toEqual({ screen: 'cases' });
    expect(parseRoute('#/')).toEqual({ screen: 'cases' });
    expect(parseRoute('#/new')).toEqual({ screen: 'new' });
    expect(parseRoute('#/settings')).toEqual({ screen: 'settings' });
    expect(parseRoute('#/quarantine')).toEqual({ screen: 'quarantine' });
    expect(parseRoute('#/admin')).toEqual({ screen: 'admin' });
    expect(parseRoute('#/bpu')).toEqual({ screen: 'bpu' });
    expect(parseRoute('#/bpu/abc')).toEqual({ screen: 'bpu_slip', id: 'abc' });
    expect(parseRoute('#/somewhere/else')).toEqual({ screen: 'cases' });
  });

  it('gives each screen back its link', () => {
    for (const href of ['#/', '#/new', '#/settings', '#/quarantine', '#/admin', '#/bpu', bpuSlipHref('x y'), caseHref('a b')]) {
      expect(routeHref(parseRoute(href))).toBe(href);
    }
  });

  it('round-trips a case link', () => {
    const id = '01936f5e-7b2a-7c3d-9e4f-0a1b2c3d4e5f';
    expect(parseRoute(caseHref(id))).toEqual({ screen: 'case', id });
  });
});
