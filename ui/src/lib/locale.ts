// What components use to put words and times on screen: the current language and the desk's
// offset combined into one `Locale`, available as the `$loc` store.
import { derived, writable } from 'svelte/store';
import type { Issue, Lang } from './api';
import { dueState, elapsed, instant, offsetMinutes, urgencyOf, zoneName, type Duration, type Urgency } from './datetime';
import { DATETIME_FIELDS, ENUMS } from './fields';
import { choiceLabel, fieldLabel, issueText, lang, translate, type MessageKey, type Params } from './i18n';

export interface Locale {
  t(key: MessageKey, params?: Params): string;
  field(name: string): string;
  choice(enumName: string, value: string): string;
  issue(issue: Issue): string;
  /** A stored intake value as shown: enum labels, readable dates; "—" when empty. */
  value(field: string, raw: string | null | undefined): string;
  /** A timestamp in the desk's local time, e.g. "24 Nov 2026 08.30 WIB". */
  dateTime(text: string): string;
  /** "3 jam lalu". */
  ago(since: string, now: number): string;
  /** "sisa 45 jam" / "terlambat 2 jam"; `urgency` colours it (under 12 h left: soon). */
  due(dueAt: string, now: number): { overdue: boolean; urgency: Urgency; text: string };
  /** A measurement as written in the language: 36,8 in Indonesian, 36.8 in English. */
  number(value: number): string;
}

export function makeLocale(language: Lang, offset: string): Locale {
  const intlLocale = language === 'id' ? 'id-ID' : 'en-GB';
  const dateTimeFormat = new Intl.DateTimeFormat(intlLocale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  });
  const dateFormat = new Intl.DateTimeFormat(intlLocale, {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const shift = (offsetMinutes(offset) ?? 0) * 60_000;
  const numberFormat = new Intl.NumberFormat(intlLocale, { maximumFractionDigits: 2, useGrouping: false });
  const t = (key: MessageKey, params?: Params) => translate(language, key, params);
  const duration = (span: Duration) =>
    span.count === 1 ? t(`duration.${span.unit}_one`) : t(`duration.${span.unit}`, { n: span.count });
  const dateTime = (text: string) => {
    const ms = instant(text);
    return ms === null ? text : `${dateTimeFormat.format(new Date(ms + shift))} ${zoneName(offset)}`;
  };
  /** A `YYYY-MM-DD` date, e.g. "12 Maret 1990". */
  const date = (text: string) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    return match ? dateFormat.format(new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]))) : text;
  };

  return {
    t,
    field: (name) => fieldLabel(language, name),
    choice: (enumName, value) => choiceLabel(language, enumName, value),
    issue: (issue) => issueText(language, issue),
    value(field, raw) {
      if (raw === null || raw === undefined || raw === '') return '—';
      if (field in ENUMS) return choiceLabel(language, field, raw);
      if (DATETIME_FIELDS.has(field)) return dateTime(raw);
      return field === 'birth_date' ? date(raw) : raw;
    },
    dateTime,
    ago(since, now) {
      const span = elapsed(since, now);
      return span ? t('time.ago', { duration: duration(span) }) : t('time.just_now');
    },
    due(dueAt, now) {
      const state = dueState(dueAt, now);
      if (!state) return { overdue: false, urgency: 'calm', text: dueAt };
      const text = t(state.overdue ? 'due.overdue' : 'due.left', { duration: duration(state.span) });
      return { overdue: state.overdue, urgency: urgencyOf(dueAt, now) ?? 'calm', text };
    },
    number: (value) => numberFormat.format(value),
  };
}

/** The desk's UTC offset, set once from appInfo(). */
export const deskOffset = writable('+07:00');

export const loc = derived([lang, deskOffset], ([$lang, $offset]) => makeLocale($lang, $offset));
