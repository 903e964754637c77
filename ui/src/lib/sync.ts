// What the status bar, the settings screen and the case view say about sync, as pure functions of
// the engine's status, the language, the desk's offset and the current time.
import type { CommandError, Lang, SyncStatus } from './api';
import { instant, offsetMinutes, roughDuration, toLocalInput, type Duration } from './datetime';
import { translate, type MessageKey, type Params } from './i18n';

/** A desk clock further than this from the branch's is warned about (SYNC.md: 5 minutes). */
export const CLOCK_SKEW_LIMIT_SECONDS = 5 * 60;

export type Connection = 'online' | 'offline' | 'unknown';

/** "2 jam", "1 menit", "3 hari". */
export function durationText(lang: Lang, span: Duration): string {
  return span.count === 1
    ? translate(lang, `duration.${span.unit}_one`)
    : translate(lang, `duration.${span.unit}`, { n: span.count });
}

/** How old a timestamp is at `now`, in words ("2 jam"); at least one minute. Null when unreadable. */
export function ageText(lang: Lang, since: string, now: number): string | null {
  const start = instant(since);
  return start === null ? null : durationText(lang, roughDuration(Math.max(0, now - start)));
}

/** A timestamp's time of day at the desk's offset ("10:42"); with the day in front when it is not
 *  the day of `now` ("23 Nov 10:42"). The text itself when unreadable. */
export function clockTime(text: string, offset: string, now: number, lang: Lang = 'id'): string {
  const ms = instant(text);
  if (ms === null) return text;
  const local = toLocalInput(ms, offset);
  const time = local.slice(11, 16);
  if (local.slice(0, 10) === toLocalInput(now, offset).slice(0, 10)) return time;
  const shifted = new Date(ms + (offsetMinutes(offset) ?? 0) * 60_000);
  const day = new Intl.DateTimeFormat(lang === 'id' ? 'id-ID' : 'en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  }).format(shifted);
  return `${day} ${time}`;
}

/** Minutes between the desk's clock and the branch's, when further apart than the limit. */
export function clockSkewMinutes(status: SyncStatus): number | null {
  const offset = status.clock_offset_seconds;
  if (offset === null || offset === undefined || Math.abs(offset) <= CLOCK_SKEW_LIMIT_SECONDS) return null;
  return Math.round(Math.abs(offset) / 60);
}

/** A sync error code in plain words. Unknown codes show the engine's own message. */
export function syncErrorText(lang: Lang, error: { code: string; message: string }, status?: SyncStatus): string {
  switch (error.code) {
    case 'not_enrolled':
    case 'branch_unreachable':
    case 'device_revoked':
    case 'unexpected_response':
    case 'tls':
    case 'server_error':
    case 'unauthorized':
    case 'forbidden':
      return translate(lang, `sync_error.${error.code}`);
    case 'rejected_records':
      return translate(lang, 'sync_error.rejected_records', { n: status?.rejected ?? '?' });
    case 'clock_skew': {
      const minutes = status ? clockSkewMinutes(status) : null;
      const fromMessage = /(\d+)\s*min/i.exec(error.message);
      return translate(lang, 'sync_error.clock_skew', { n: minutes ?? fromMessage?.[1] ?? '?' });
    }
    default:
      return translate(lang, 'sync_error.other', { message: error.message });
  }
}

/** Everything the status bar shows, in words. */
export interface StatusBarText {
  connection: Connection;
  connectionText: string;
  /** "3 catatan belum dikonfirmasi, tertua 2 jam", or "Semua terkirim". */
  queue: string;
  /** True only when enrolled, synced at least once, and the branch confirmed every record. */
  allSent: boolean;
  /** "Terakhir terkirim 10:42"; null when not enrolled. */
  lastSuccess: string | null;
  /** The last error, or "not enrolled", in plain words. */
  error: string | null;
  /** A desk clock far from the branch's (when not already the error shown). */
  clockWarning: string | null;
  stalled: string | null;
}

export function statusBarText(status: SyncStatus, lang: Lang, offset: string, now: number): StatusBarText {
  const t = (key: MessageKey, params?: Params) => translate(lang, key, params);
  const enrolled = status.enrolled !== null && status.enrolled !== undefined;
  const connection: Connection = status.online === true ? 'online' : status.online === false ? 'offline' : 'unknown';

  // "Semua terkirim" is a promise: only once the branch answered and confirmed every record.
  const allSent = enrolled && status.unconfirmed === 0 && Boolean(status.last_success_at);
  let queue: string;
  if (status.unconfirmed > 0) {
    const age = status.oldest_unconfirmed_at ? ageText(lang, status.oldest_unconfirmed_at, now) : null;
    const one = status.unconfirmed === 1;
    queue =
      age === null
        ? t(one ? 'statusbar.unconfirmed_one' : 'statusbar.unconfirmed', { n: status.unconfirmed })
        : t(one ? 'statusbar.unconfirmed_oldest_one' : 'statusbar.unconfirmed_oldest', { n: status.unconfirmed, age });
  } else {
    queue = allSent ? t('statusbar.all_sent') : t('statusbar.nothing_waiting');
  }

  let lastSuccess: string | null = null;
  if (enrolled) {
    lastSuccess = status.last_success_at
      ? t('statusbar.last_success', { time: clockTime(status.last_success_at, offset, now, lang) })
      : t('statusbar.never_sent');
  }

  let error: string | null = null;
  if (!enrolled) error = t('sync_error.not_enrolled');
  else if (status.last_error) error = syncErrorText(lang, status.last_error, status);
  else if (status.rejected > 0) error = syncErrorText(lang, { code: 'rejected_records', message: '' }, status);

  const skew = clockSkewMinutes(status);
  const clockWarning =
    skew !== null && status.last_error?.code !== 'clock_skew' ? t('sync_error.clock_skew', { n: skew }) : null;

  return {
    connection,
    connectionText: t(`statusbar.${connection}`),
    queue,
    allSent,
    lastSuccess,
    error,
    clockWarning,
    stalled: status.stalled ? t('statusbar.stalled') : null,
  };
}

/** What changes when the engine did something the lists should show (new states, a pull). */
export function syncFingerprint(status: SyncStatus | null): string {
  if (status === null) return '';
  return [
    status.pending,
    status.sent,
    status.confirmed,
    status.rejected,
    status.conflict,
    status.last_success_at ?? '',
    status.enrolled?.device_id ?? '',
  ].join('|');
}

const ENROLL_CODES = new Set([
  'enrollment_code_unknown',
  'enrollment_code_expired',
  'enrollment_code_used',
  'branch_unreachable',
  'insecure_url',
  'invalid_url',
]);

/** Why an enrolment failed, in plain words. */
export function enrollErrorText(lang: Lang, error: Pick<CommandError, 'code' | 'message'>): string {
  const code = error.code as string;
  if (ENROLL_CODES.has(code)) return translate(lang, `enroll_error.${code}`);
  if (code === 'tls' || code === 'unexpected_response' || code === 'server_error' || code === 'device_revoked') {
    return translate(lang, `sync_error.${code}`);
  }
  return translate(lang, 'enroll_error.other', { message: error.message });
}

/** The label of a branch case status ("Layak"); the raw code when this UI does not know it. */
export function branchStatusLabel(lang: Lang, status: string): string {
  const key = `branch_status.${status}`;
  const label = translate(lang, key);
  return label === key ? status : label;
}
