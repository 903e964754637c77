// The staff's full names by username, so notes, corrections and the audit log name people the way
// colleagues know them ("Ani Perawat", not "ani"). Read from the desk when a screen needs them.
import { derived, writable } from 'svelte/store';
import { staffNames } from './api';

const names = writable<ReadonlyMap<string, string>>(new Map());

/** Reads the names again (after a sign-in, or when an unknown username shows up). */
export async function loadStaffNames(): Promise<void> {
  try {
    names.set(new Map(await staffNames()));
  } catch (error) {
    console.warn('staff names could not be read', error);
  }
}

/** A username as shown: the person's full name, or the username when the desk does not know it. */
export function nameOf(known: ReadonlyMap<string, string>, username: string): string {
  return known.get(username) ?? username;
}

/** `$personName(username)`. */
export const personName = derived(names, ($names) => (username: string) => nameOf($names, username));
