// The sync engine's status as the whole window sees it: polled every 2 s while the app runs, and
// refreshed at once after "Kirim sekarang". Screens that show sync states reload when `syncChanged`
// moves (records confirmed, a pull brought branch statuses).
import { derived, writable } from 'svelte/store';
import { syncNow, syncStatus, toCommandError, type SyncStatus, type SyncSummary } from './api';
import { syncFingerprint } from './sync';

export const POLL_MS = 2_000;

export interface LiveSync {
  status: SyncStatus | null;
  /** Why the status could not be read, if it could not. */
  readError: string | null;
}

export const liveSync = writable<LiveSync>({ status: null, readError: null });

/** Changes whenever the records' sync states or the last successful sync change. */
export const syncChanged = derived(liveSync, ($live) => syncFingerprint($live.status));

let inFlight = false;

/** Reads the status now; a poll already under way is not repeated unless `force`. */
export async function refreshSyncStatus(force = false): Promise<void> {
  if (inFlight && !force) return;
  inFlight = true;
  try {
    const status = await syncStatus();
    liveSync.set({ status, readError: null });
  } catch (rejection) {
    liveSync.update((live) => ({ ...live, readError: toCommandError(rejection).message }));
  } finally {
    inFlight = false;
  }
}

/** Starts polling; returns the function that stops it. */
export function startSyncPolling(): () => void {
  void refreshSyncStatus();
  const timer = setInterval(() => void refreshSyncStatus(), POLL_MS);
  return () => clearInterval(timer);
}

/** "Kirim sekarang": one full cycle, then the fresh status. Rejects with a CommandError. */
export async function sendNow(): Promise<SyncSummary> {
  try {
    return await syncNow();
  } finally {
    await refreshSyncStatus(true);
  }
}
