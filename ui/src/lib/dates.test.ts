import { describe, expect, it } from 'vitest';
import { formatValue, monthGrid, parseDate, parseDateTime, parseTime, wallAt, type Wall } from './dates';

/** The desk's clock in these tests: Monday 30 November 2026, 10.20. */
const NOW: Wall = { year: 2026, month: 11, day: 30, hour: 10, minute: 20 };
/** Just after midnight on 1 December 2026. */
const AFTER_MIDNIGHT: Wall = { year: 2026, month: 12, day: 1, hour: 0, minute: 10 };

describe('parseDateTime: what a receptionist types', () => {
  const check = (typed: string, expected: string | null, now: Wall = NOW) =>
    it(`${JSON.stringify(typed)} -> ${expected}`, () => expect(parseDateTime(typed, now)).toBe(expected));

  // The spellings of issue 9: dates with and without separators, times four ways.
  check('30112026 0815', '2026-11-30T08:15');
  check('30/11/2026 08.15', '2026-11-30T08:15');
  check('30-11-2026 8:15', '2026-11-30T08:15');
  check('30.11.2026 08 15', '2026-11-30T08:15');
  check('30 11 2026 08.15', '2026-11-30T08:15');
  check('301120260815', '2026-11-30T08:15');
  check('29/11/26 2330', '2026-11-29T23:30');
  check('1/2/2026 7.05', '2026-02-01T07:05');
  check(' 30 / 11 / 2026   08.15 ', '2026-11-30T08:15');
  check('30/11/2026, 08.15', '2026-11-30T08:15');
  check('30/11/2026 jam 08.15', '2026-11-30T08:15');
  // Words.
  check('hari ini 08.15', '2026-11-30T08:15');
  check('Hari ini 0815', '2026-11-30T08:15');
  check('kemarin 2300', '2026-11-29T23:00');
  check('kemarin pukul 23.00', '2026-11-29T23:00');
  check('kemarin lusa 07.00', '2026-11-28T07:00');
  check('yesterday 18:45', '2026-11-29T18:45');
  check('today 9:00', '2026-11-30T09:00');
  // A time alone: today, unless that is still ahead (then yesterday).
  check('0815', '2026-11-30T08:15');
  check('815', '2026-11-30T08:15');
  check('08.15', '2026-11-30T08:15');
  check('8:15', '2026-11-30T08:15');
  check('08 15', '2026-11-30T08:15');
  check('10.24', '2026-11-30T10:24'); // within the clock slack: still today
  check('10.30', '2026-11-29T10:30');
  check('2300', '2026-11-30T23:00', AFTER_MIDNIGHT);
  check('0005', '2026-12-01T00:05', AFTER_MIDNIGHT);
  check('kemarin 2300', '2026-11-30T23:00', AFTER_MIDNIGHT);
  // Not a datetime: the field keeps the text and the desk names the rule.
  check('', null);
  check('30112026', null); // the time is missing
  check('31/11/2026 08.15', null); // no 31 November
  check('30/11/2026 24.00', null);
  check('30/11/2026 08.60', null);
  check('8', null);
  check('12', null);
  check('kemarin sore', null);
  check('30/11-2026 08.15', null);
  // The stored shape, as pasted.
  check('2026-11-30T08:15', '2026-11-30T08:15');
  check('2026-11-30 08:15:59', '2026-11-30T08:15');
  check('2026-11-31T08:15', null);
  check('2026-11-30', null);
});

describe('parseDate', () => {
  const check = (typed: string, expected: string | null) =>
    it(`${JSON.stringify(typed)} -> ${expected}`, () => expect(parseDate(typed, NOW)).toBe(expected));

  check('17081990', '1990-08-17');
  check('17/08/1990', '1990-08-17');
  check('17-8-1990', '1990-08-17');
  check('17.08.1990', '1990-08-17');
  check('17 08 1990', '1990-08-17');
  check('170890', '1990-08-17');
  check('01/01/05', '2005-01-01');
  check('01/01/27', '1927-01-01'); // 2027 is ahead of now: 1927
  check('29/02/2024', '2024-02-29');
  check('hari ini', '2026-11-30');
  check('kemarin', '2026-11-29');
  check('1990-08-17', '1990-08-17');
  check('1990-08-17T08:15', null);
  check('29/02/2025', null);
  check('17081990 0815', null);
  check('1708', null);
  check('', null);
});

describe('parseTime', () => {
  const check = (typed: string, expected: [number, number] | null) =>
    it(`${JSON.stringify(typed)}`, () =>
      expect(parseTime(typed)).toEqual(expected && { hour: expected[0], minute: expected[1] }));

  check('0815', [8, 15]);
  check('08.15', [8, 15]);
  check('8:15', [8, 15]);
  check('08 15', [8, 15]);
  check('jam 8.15', [8, 15]);
  check('0000', [0, 0]);
  check('2359', [23, 59]);
  check('2400', null);
  check('0860', null);
  check('8.5', null);
});

describe('formatValue: shown back the same way whatever the OS locale', () => {
  const check = (value: string, lang: 'id' | 'en', expected: string) =>
    it(`${value} in ${lang}`, () => expect(formatValue(value, lang)).toBe(expected));

  check('2026-11-30T08:15', 'id', '30/11/2026 08.15');
  check('2026-11-30T08:15', 'en', '30/11/2026 08:15');
  check('2026-11-30T08:15:40', 'id', '30/11/2026 08.15');
  check('1990-08-17', 'id', '17/08/1990');
  check('1990-08-17', 'en', '17/08/1990');
  check('kemarin sore', 'id', 'kemarin sore');
  check('', 'id', '');
});

describe('round trip: what is shown parses back to the same value', () => {
  for (const value of ['2026-11-30T08:15', '2026-01-05T23:59', '2025-02-28T00:00']) {
    for (const lang of ['id', 'en'] as const) {
      it(`${value} (${lang})`, () => expect(parseDateTime(formatValue(value, lang), NOW)).toBe(value));
    }
  }
  it('a date', () => expect(parseDate(formatValue('1990-08-17', 'id'), NOW)).toBe('1990-08-17'));
});

describe('wallAt and monthGrid', () => {
  it('reads the wall clock at WIB', () => {
    expect(wallAt(Date.UTC(2026, 10, 30, 17, 30), 420)).toEqual({ year: 2026, month: 12, day: 1, hour: 0, minute: 30 });
  });

  it('lays November 2026 out Monday first', () => {
    const weeks = monthGrid(2026, 11);
    // 1 November 2026 is a Sunday: six blanks before it.
    expect(weeks[0]).toEqual([null, null, null, null, null, null, 1]);
    expect(weeks[weeks.length - 1]).toEqual([30, null, null, null, null, null, null]);
    expect(weeks.flat().filter((day) => day !== null)).toHaveLength(30);
  });
});
