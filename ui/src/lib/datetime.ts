// Date and time arithmetic in the desk's own UTC offset (from appInfo), independent of the
// time zone the web view happens to run in. Pure: the current time is always passed in.

const MINUTE = 60_000;

/** "+07:00" -> 420, "-03:30" -> -210, "Z" -> 0; null when not an offset. */
export function offsetMinutes(offset: string): number | null {
  if (offset === 'Z' || offset === 'z') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(offset.trim());
  if (!match) return null;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** Indonesia's zone names for its three offsets; "UTC+hh:mm" otherwise. */
export function zoneName(offset: string): string {
  const names: Record<number, string> = { 420: 'WIB', 480: 'WITA', 540: 'WIT' };
  const minutes = offsetMinutes(offset);
  return (minutes !== null && names[minutes]) || `UTC${offset}`;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)? ?(Z|z|[+-]\d{2}:?\d{2})$/;

/** The instant of an RFC 3339 timestamp with offset (also accepts "2026-11-24 08:30:00 +07:00");
 *  null when it is not one. */
export function instant(text: string): number | null {
  const match = DATETIME.exec(text.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second = '0', offset] = match;
  const minutes = offsetMinutes(offset);
  if (minutes === null) return null;
  const utc = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
  return utc - minutes * MINUTE;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** The wall-clock fields of an instant at the desk's offset. */
function wallClock(ms: number, offset: string): Date {
  return new Date(ms + (offsetMinutes(offset) ?? 0) * MINUTE);
}

/** An instant as a `datetime-local` value at the desk's offset; seconds only when not zero. */
export function toLocalInput(ms: number, offset: string): string {
  const wall = wallClock(ms, offset);
  const date = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
  const seconds = wall.getUTCSeconds();
  return `${date}T${time}${seconds ? `:${pad(seconds)}` : ''}`;
}

/** The prefill for "now": the current minute at the desk's offset. */
export function nowLocalInput(now: number, offset: string): string {
  return toLocalInput(Math.floor(now / MINUTE) * MINUTE, offset);
}

/** A stored timestamp as a `datetime-local` value at the desk's offset; "" when unreadable. */
export function rfc3339ToLocalInput(text: string, offset: string): string {
  const ms = instant(text);
  return ms === null ? '' : toLocalInput(ms, offset);
}

/** A `datetime-local` value ("2026-11-24T08:30") as RFC 3339 at the desk's offset
 *  ("2026-11-24T08:30:00+07:00"). Empty stays empty; anything else is passed on for the backend to judge. */
export function localInputToRfc3339(value: string, offset: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(?:\.\d+)?$/.exec(value.trim());
  if (!match) return value.trim();
  return `${match[1]}T${match[2]}${match[3] ?? ':00'}${offset}`;
}

/** Two timestamps name the same instant (a different offset or notation is no change). */
export function sameInstant(a: string, b: string): boolean {
  const left = instant(a);
  return left !== null && left === instant(b);
}

export type DurationUnit = 'minute' | 'hour' | 'day';

export interface Duration {
  unit: DurationUnit;
  count: number;
}

/** A span rounded down to a readable unit: minutes under an hour, hours up to 72, then days.
 *  Never zero: less than a minute reads as one minute. */
export function roughDuration(ms: number): Duration {
  const minutes = Math.max(1, Math.floor(Math.abs(ms) / MINUTE));
  if (minutes < 60) return { unit: 'minute', count: minutes };
  const hours = Math.floor(minutes / 60);
  if (hours < 72) return { unit: 'hour', count: hours };
  return { unit: 'day', count: Math.floor(hours / 24) };
}

export interface DueState {
  overdue: boolean;
  /** Time left, or time past the deadline when overdue. */
  span: Duration;
}

/** Where a deadline stands at `now`; null when the deadline is unreadable. */
export function dueState(dueAt: string, now: number): DueState | null {
  const due = instant(dueAt);
  if (due === null) return null;
  return { overdue: due <= now, span: roughDuration(due - now) };
}

/** How pressing a deadline is: overdue, soon (less than 12 hours left) or calm. */
export type Urgency = 'overdue' | 'soon' | 'calm';

/** Under this much time left a deadline is shown as soon (amber). */
export const SOON_MS = 12 * 60 * MINUTE;

/** The urgency of a deadline at `now`; null when the deadline is unreadable. */
export function urgencyOf(dueAt: string, now: number): Urgency | null {
  const due = instant(dueAt);
  if (due === null) return null;
  if (due <= now) return 'overdue';
  return due - now < SOON_MS ? 'soon' : 'calm';
}

/** Cases in the order a receptionist must act on them: open cases not yet reported first, by
 *  their deadline (overdue first, then least time left); then the reported ones and closed ones,
 *  newest admission first. */
export function byUrgency<T extends { report_due_at: string; admitted_at: string; closed: boolean; sync_state: string }>(
  cases: readonly T[],
): T[] {
  const reported = (item: T) => item.closed || item.sync_state === 'sent' || item.sync_state === 'confirmed';
  const time = (text: string) => instant(text) ?? 0;
  return [...cases].sort((a, b) => {
    const waitingA = !reported(a);
    const waitingB = !reported(b);
    if (waitingA !== waitingB) return waitingA ? -1 : 1;
    if (waitingA) return time(a.report_due_at) - time(b.report_due_at);
    return time(b.admitted_at) - time(a.admitted_at);
  });
}

/** Time since an instant, or null for under a minute ("just now") or an unreadable timestamp. */
export function elapsed(since: string, now: number): Duration | null {
  const start = instant(since);
  if (start === null || now - start < MINUTE) return null;
  return roughDuration(now - start);
}
