// The screen shown, kept in the location hash so cases can be linked to from anywhere.
import { readable } from 'svelte/store';

export type Route =
  | { screen: 'cases' }
  | { screen: 'new' }
  | { screen: 'settings' }
  | { screen: 'quarantine' }
  | { screen: 'admin' }
  | { screen: 'bpu' }
  | { screen: 'bpu_slip'; id: string }
  | { screen: 'case'; id: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/new') return { screen: 'new' };
  if (path === '/settings') return { screen: 'settings' };
  if (path === '/quarantine') return { screen: 'quarantine' };
  if (path === '/admin') return { screen: 'admin' };
  if (path === '/bpu') return { screen: 'bpu' };
  const slip = /^\/bpu\/([^/]+)$/.exec(path);
  if (slip) return { screen: 'bpu_slip', id: decodeURIComponent(slip[1]) };
  const match = /^\/case\/([^/]+)$/.exec(path);
  if (match) return { screen: 'case', id: decodeURIComponent(match[1]) };
  return { screen: 'cases' };
}

export const CASES_HREF = '#/';
export const NEW_INTAKE_HREF = '#/new';
export const SETTINGS_HREF = '#/settings';
export const QUARANTINE_HREF = '#/quarantine';
export const ADMIN_HREF = '#/admin';
export const BPU_HREF = '#/bpu';

export function bpuSlipHref(id: string): string {
  return `#/bpu/${encodeURIComponent(id)}`;
}

export function caseHref(id: string): string {
  return `#/case/${encodeURIComponent(id)}`;
}

/** The link to a screen. */
export function routeHref(route: Route): string {
  switch (route.screen) {
    case 'new':
      return NEW_INTAKE_HREF;
    case 'settings':
      return SETTINGS_HREF;
    case 'quarantine':
      return QUARANTINE_HREF;
    case 'admin':
      return ADMIN_HREF;
    case 'bpu':
      return BPU_HREF;
    case 'bpu_slip':
      return bpuSlipHref(route.id);
    case 'case':
      return caseHref(route.id);
    default:
      return CASES_HREF;
  }
}

let setRoute: ((route: Route) => void) | null = null;

export const route = readable<Route>({ screen: 'cases' }, (set) => {
  setRoute = set;
  const update = () => set(parseRoute(location.hash));
  update();
  window.addEventListener('hashchange', update);
  return () => {
    setRoute = null;
    window.removeEventListener('hashchange', update);
  };
});

/** Goes to a screen now: the route store changes at once, before the hashchange event, so a screen
 *  mounted right after sees the new route (a person signing in never opens another's case). */
export function navigate(href: string): void {
  if (location.hash !== href) location.hash = href;
  setRoute?.(parseRoute(href));
}
