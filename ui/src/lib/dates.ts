// Dates and times as a receptionist types them, and as the desk shows them back, independent of
// the operating system's locale. Pure: "now" is passed in (wall-clock fields at the desk's offset).
//
// Accepted (issue 9): a date as 30112026, 301126, 30/11/2026, 30-11-2026, 30.11.2026 or
// 30 11 2026 (one- or two-digit day and month, two- or four-digit year), or the words
// "hari ini"/"today", "kemarin"/"yesterday", "kemarin lusa"; a time as 0815, 815, 08.15, 8:15 or
// 08 15, optionally after "jam"/"pukul"/"at". A datetime is a date then a time, or a time alone:
// the latest moment with that time of day that is not ahead of now (more than the clock slack),
// so "2300" typed just after midnight is yesterday's 23.00. Shown back as "30/11/2026 08.15" in
// Indonesian and "30/11/2026 08:15" in English.
//
// The stored shapes ("2026-11-30", "2026-11-30T08:15") are accepted too, as pasted.
// Values handed to the forms: "YYYY-MM-DD" for a date, "YYYY-MM-DDTHH:MM" (the datetime-local
// shape) for a datetime; forms.ts turns the latter into RFC 3339 at the desk's offset.
import type { Lang } from './api';

/** Wall-clock fields (no zone: the desk's own offset is applied by the caller). */
export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** How far ahead of the desk's clock a time-only entry may be and still mean today (minutes);
 *  the same slack the desk allows for the admission time. */
const AHEAD_SLACK_MINUTES = 5;

const TODAY_WORDS = ['hari ini', 'hariini', 'today', 'sekarang', 'now'];
const YESTERDAY_WORDS = ['kemarin', 'yesterday', 'kmrn', 'kmr'];
const TWO_DAYS_AGO_WORDS = ['kemarin lusa', 'lusa kemarin'];

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function realDate(year: number, month: number, day: number): boolean {
  return year >= 1900 && year <= 2999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** `days` after (or before) a date. */
function shiftDays(wall: Wall, days: number): Wall {
  const moved = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return { ...wall, year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

/** A two-digit year: 20yy unless that is after `now`'s year, then 19yy (as the NIK's). */
function fullYear(digits: string, now: Wall): number {
  if (digits.length === 4) return Number(digits);
  const year = 2000 + Number(digits);
  return year > now.year ? year - 100 : year;
}

type DatePart = Pick<Wall, 'year' | 'month' | 'day'>;

/** The date at the start of `text` and what follows it; null when it does not start with one. */
function leadingDate(text: string, now: Wall): { date: DatePart; rest: string } | null {
  for (const words of [TWO_DAYS_AGO_WORDS, TODAY_WORDS, YESTERDAY_WORDS]) {
    for (const word of words) {
      if (text === word || text.startsWith(`${word} `)) {
        const back = words === TODAY_WORDS ? 0 : words === YESTERDAY_WORDS ? -1 : -2;
        return { date: shiftDays(now, back), rest: text.slice(word.length).trim() };
      }
    }
  }
  // 30/11/2026, 30-11-26, 30.11.2026, 30 11 2026 (the same separator twice).
  const separated = /^(\d{1,2})([/.\- ])(\d{1,2})\2(\d{4}|\d{2})(?!\d)(.*)$/.exec(text);
  if (separated) {
    const [, day, , month, year, rest] = separated;
    return { date: { year: fullYear(year, now), month: Number(month), day: Number(day) }, rest: rest.trim() };
  }
  // 30112026 or 301126, alone or before a time (separated by a space or not at all: 301120260815).
  const packed = /^(\d{2})(\d{2})(\d{4}|\d{2})(?=\s|$|\d{4}$)(.*)$/.exec(text);
  if (packed) {
    const [, day, month, year, rest] = packed;
    // Six digits followed by four more are ddmmyy + hhmm only if the year is not 4 digits long.
    return { date: { year: fullYear(year, now), month: Number(month), day: Number(day) }, rest: rest.trim() };
  }
  return null;
}

/** A time of day: 0815, 815, 08.15, 8:15, 08 15, optionally after "jam", "pukul" or "at". */
export function parseTime(typed: string): Pick<Wall, 'hour' | 'minute'> | null {
  const text = typed
    .trim()
    .toLowerCase()
    .replace(/^(jam|pukul|pkl\.?|at)\s*/, '');
  const match = /^(\d{1,2})(?:[.: ]?(\d{2}))$/.exec(text);
  if (!match) return null;
  const [, hours, minutes] = match;
  // "815" is 8.15; a lone one- or two-digit number is not a time (too easy to mistype).
  if (minutes === undefined) return null;
  const hour = Number(hours);
  const minute = Number(minutes);
  if (hour > 23 || minute > 59) return null;
  return { hour, minute };
}

/** The stored shapes, also accepted when typed or pasted: "2026-11-30", "2026-11-30T08:15" or
 *  "2026-11-30 08:15" (seconds dropped). */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::\d{2})?)?$/;

function isoValue(text: string, withTime: boolean): string | null {
  const match = ISO.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute] = match;
  if (!realDate(+year, +month, +day) || (hour === undefined) === withTime) return null;
  if (hour !== undefined && (+hour > 23 || +minute > 59)) return null;
  return withTime ? `${year}-${month}-${day}T${hour}:${minute}` : `${year}-${month}-${day}`;
}

/** A typed date as "YYYY-MM-DD"; null when it is not one. */
export function parseDate(typed: string, now: Wall): string | null {
  const text = normalise(typed);
  const iso = isoValue(text, false);
  if (iso) return iso;
  const found = leadingDate(text, now);
  if (!found || found.rest !== '') return null;
  const { year, month, day } = found.date;
  return realDate(year, month, day) ? `${year}-${pad(month)}-${pad(day)}` : null;
}

/** A typed date and time as "YYYY-MM-DDTHH:MM"; a time alone means its latest occurrence not
 *  ahead of `now`. Null when it is not one. */
export function parseDateTime(typed: string, now: Wall): string | null {
  const text = normalise(typed);
  if (text === '') return null;
  const iso = isoValue(text, true);
  if (iso) return iso;
  const found = leadingDate(text, now);
  let date: DatePart;
  let time: Pick<Wall, 'hour' | 'minute'> | null;
  if (found) {
    date = found.date;
    time = parseTime(found.rest);
  } else {
    time = parseTime(text);
    if (!time) return null;
    const today = minutesOfDay(now);
    const ahead = time.hour * 60 + time.minute - today;
    date = ahead > AHEAD_SLACK_MINUTES ? shiftDays(now, -1) : now;
  }
  if (!time || !realDate(date.year, date.month, date.day)) return null;
  return `${date.year}-${pad(date.month)}-${pad(date.day)}T${pad(time.hour)}:${pad(time.minute)}`;
}

function minutesOfDay(wall: Wall): number {
  return wall.hour * 60 + wall.minute;
}

/** Lower case, single spaces, no spaces around separators ("30 / 11 / 2026" -> "30/11/2026"). */
function normalise(typed: string): string {
  return typed
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([/\-.:])\s*/g, '$1')
    .replace(/,/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" as shown: "30/11/2026", "30/11/2026 08.15" (Indonesian),
 *  "30/11/2026 08:15" (English). Anything else comes back as it is. */
export function formatValue(value: string, lang: Lang): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::\d{2})?)?$/.exec(value.trim());
  if (!match) return value;
  const [, year, month, day, hour, minute] = match;
  const date = `${day}/${month}/${year}`;
  if (hour === undefined) return date;
  return `${date} ${hour}${lang === 'id' ? '.' : ':'}${minute}`;
}

/** The wall clock of an instant at an offset in minutes. */
export function wallAt(ms: number, offsetMinutes: number): Wall {
  const shifted = new Date(ms + offsetMinutes * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
  };
}

/** The days of a month as a calendar shows them: weeks of seven, Monday first, null for the blank
 *  cells before the 1st and after the last day. */
export function monthGrid(year: number, month: number): (number | null)[][] {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const blanks = (first + 6) % 7;
  const cells: (number | null)[] = Array.from({ length: blanks }, () => null);
  for (let day = 1; day <= daysInMonth(year, month); day++) cells.push(day);
  while (cells.length % 7 !== 0) cells.push(null);
  const weeks: (number | null)[][] = [];
  for (let start = 0; start < cells.length; start += 7) weeks.push(cells.slice(start, start + 7));
  return weeks;
}
