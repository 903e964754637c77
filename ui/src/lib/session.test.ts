import { beforeEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { listCases } = await import('./api');
const { drafts } = await import('./drafts');
const { gateOf, session, signedIn, lockNow } = await import('./session');
type Account = import('./api').Account;
type AppInfo = import('./api').AppInfo;

const person = (username: string, role: Account['role'] = 'receptionist'): Account => ({
  username,
  display_name: username.toUpperCase(),
  role,
  active: true,
  has_pin: false,
  created_at: '2026-01-05T08:00:00+07:00',
});

const info = (phase: AppInfo['phase']): AppInfo => ({
  data_dir: '/data',
  language: 'id',
  store_error: null,
  utc_offset: '+07:00',
  phase,
  user: null,
  locked: false,
  idle_lock_minutes: 5,
  unencrypted_records: null,
  disk_full: false,
});

describe('gateOf', () => {
  it('shows setup, sign-in, lock or the app', () => {
    const siti = person('siti');
    expect(gateOf({ info: null, user: null, locked: false })).toBe('loading');
    expect(gateOf({ info: info('setup'), user: null, locked: false })).toBe('setup');
    expect(gateOf({ info: info('sign_in'), user: null, locked: false })).toBe('sign_in');
    expect(gateOf({ info: info('open'), user: null, locked: false })).toBe('sign_in');
    expect(gateOf({ info: info('open'), user: siti, locked: true })).toBe('locked');
    expect(gateOf({ info: info('open'), user: siti, locked: false })).toBe('open');
  });
});

describe('the session', () => {
  beforeEach(() => {
    invoke.mockReset();
    drafts.clearAll();
    vi.stubGlobal('location', { hash: '#/' });
    session.set({ info: info('open'), user: person('siti'), locked: false });
  });

  it('locks when any command is refused as locked', async () => {
    invoke.mockRejectedValueOnce({ code: 'locked', message: 'the screen is locked' });
    await expect(listCases('', true)).rejects.toMatchObject({ code: 'locked' });
    expect(gateOf(get(session))).toBe('locked');
  });

  it('shows the sign-in screen when a command finds nobody signed in', async () => {
    invoke.mockRejectedValueOnce({ code: 'signed_out', message: 'nobody' });
    await expect(listCases('', true)).rejects.toMatchObject({ code: 'signed_out' });
    expect(gateOf(get(session))).toBe('sign_in');
  });

  it('locks the screen before telling the desk', () => {
    invoke.mockResolvedValueOnce(null);
    lockNow();
    expect(get(session).locked).toBe(true);
    expect(invoke).toHaveBeenCalledWith('lock', undefined);
  });

  it('puts another person on their own last screen, and keeps the screen on unlock', () => {
    drafts.setRoute('ani', '#/case/abc');
    location.hash = '#/new';
    signedIn(person('siti'));
    expect(location.hash).toBe('#/new');
    signedIn(person('ani', 'nurse'));
    expect(location.hash).toBe('#/case/abc');
    expect(get(session)).toMatchObject({ user: { username: 'ani' }, locked: false });
    signedIn(person('budi'));
    expect(location.hash).toBe('#/');
  });
});
