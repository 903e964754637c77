// Who is at the desk: the first-run setup, the sign-in screen, the lock screen, or the app. The
// desk decides (every command checks); this store follows its answers, and any command refused
// with `locked` or `signed_out` brings up the lock or sign-in screen.
import { derived, get, writable } from 'svelte/store';
import { appInfo, lock, onSessionLost, signOut, type Account, type AppInfo, type SessionLoss } from './api';
import { drafts } from './drafts';
import { lang } from './i18n';
import { deskOffset } from './locale';
import { CASES_HREF, navigate } from './route';

export interface Session {
  /** The last app_info answer; null until it came. */
  info: AppInfo | null;
  user: Account | null;
  locked: boolean;
}

/** What fills the window. */
export type Gate = 'loading' | 'setup' | 'sign_in' | 'locked' | 'open';

export function gateOf(session: Session): Gate {
  if (!session.info) return 'loading';
  if (session.info.phase === 'setup') return 'setup';
  if (!session.user) return 'sign_in';
  return session.locked ? 'locked' : 'open';
}

export const session = writable<Session>({ info: null, user: null, locked: false });

export const gate = derived(session, gateOf);

export const currentUser = derived(session, ($session) => $session.user);

/** The signed-in person's username, read once (forms key their drafts by it when they mount). */
export function currentUsername(): string {
  return get(session).user?.username ?? '';
}

/** Follows a refusal of any command: the screen was locked, or nobody is signed in any more. */
export function sessionLost(code: SessionLoss): void {
  session.update((current) => {
    if (code === 'locked') return current.user ? { ...current, locked: true } : current;
    return { ...current, user: null, locked: false };
  });
}

onSessionLost(sessionLost);

/** Reads app_info and follows it (at start, and after setup or a sign-in opened the database). */
export async function loadInfo(): Promise<AppInfo> {
  const info = await appInfo();
  deskOffset.set(info.utc_offset);
  lang.set(info.language);
  const previous = get(session).user;
  if (info.user && previous && info.user.username !== previous.username) enterAs(info.user);
  session.update((current) => ({ ...current, info, user: info.user, locked: info.user ? info.locked : false }));
  return info;
}

/** Someone else is about to use the app: put them on their own last screen first, so nothing of the
 *  previous person's screen (e.g. their open case) is loaded under the new name. */
function enterAs(user: Account): void {
  navigate(drafts.route(user.username) ?? CASES_HREF);
}

/** After setup, a sign-in or an unlock: `user` uses the app, unlocked. */
export function signedIn(user: Account): void {
  const previous = get(session).user;
  if (previous?.username !== user.username) enterAs(user);
  session.update((current) => ({
    info: current.info ? { ...current.info, phase: 'open', user, locked: false } : current.info,
    user,
    locked: false,
  }));
}

/** Locks the screen at once, then tells the desk (which audits it). */
export function lockNow(): void {
  const current = get(session);
  if (!current.user || current.locked) return;
  session.update((now) => ({ ...now, locked: true }));
  lock().catch((error: unknown) => console.warn('the desk was not told of the lock', error));
}

/** "Keluar": the sign-in screen. The person's drafts stay in memory for when they sign back in. */
export async function signOutNow(): Promise<void> {
  try {
    await signOut();
  } finally {
    session.update((current) => ({ ...current, user: null, locked: false }));
  }
}

/** The idle lock time the admin just saved. */
export function setIdleMinutes(minutes: number): void {
  session.update((current) => (current.info ? { ...current, info: { ...current.info, idle_lock_minutes: minutes } } : current));
}
