// The screen shown, kept in the location hash so cases can be linked to from anywhere.
import { readable } from 'svelte/store';

export type Route =
  | { screen: 'cases' }
  | { screen: 'new' }
  | { screen: 'settings' }
  | { screen: 'quarantine' }
  | { screen: 'case'; id: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/new') return { screen: 'new' };
  if (path === '/settings') return { screen: 'settings' };
  if (path === '/quarantine') return { screen: 'quarantine' };
  const match = /^\/case\/([^/]+)$/.exec(path);
  if (match) return { screen: 'case', id: decodeURIComponent(match[1]) };
  return { screen: 'cases' };
}

export const CASES_HREF = '#/';
export const NEW_INTAKE_HREF = '#/new';
export const SETTINGS_HREF = '#/settings';
export const QUARANTINE_HREF = '#/quarantine';

export function caseHref(id: string): string {
  return `#/case/${encodeURIComponent(id)}`;
}

export const route = readable<Route>({ screen: 'cases' }, (set) => {
  const update = () => set(parseRoute(location.hash));
  update();
  window.addEventListener('hashchange', update);
  return () => window.removeEventListener('hashchange', update);
});
