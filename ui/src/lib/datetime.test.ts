import { describe, expect, it } from 'vitest';
import {
  byUrgency,
  dueState,
  elapsed,
  instant,
  localInputToRfc3339,
  nowLocalInput,
  offsetMinutes,
  rfc3339ToLocalInput,
  roughDuration,
  sameInstant,
  toLocalInput,
  urgencyOf,
  zoneName,
} from './datetime';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('localInputToRfc3339', () => {
  const check = (value: string, offset: string, expected: string) =>
    it(`${JSON.stringify(value)} at ${offset}`, () => expect(localInputToRfc3339(value, offset)).toBe(expected));

  check('2026-11-24T08:30', '+07:00', '2026-11-24T08:30:00+07:00');
  check('2026-11-24T08:30:15', '+08:00', '2026-11-24T08:30:15+08:00');
  check('2026-11-24T08:30:15.250', '+09:00', '2026-11-24T08:30:15+09:00');
  check(' 2026-11-24T23:59 ', '+07:00', '2026-11-24T23:59:00+07:00');
  check('', '+07:00', '');
  // Not a datetime-local value: passed on for the backend to reject with datetime_format.
  check('kemarin sore', '+07:00', 'kemarin sore');
});

describe('rfc3339ToLocalInput', () => {
  const check = (text: string, offset: string, expected: string) =>
    it(`${text} at ${offset}`, () => expect(rfc3339ToLocalInput(text, offset)).toBe(expected));

  check('2026-11-24T08:30:00+07:00', '+07:00', '2026-11-24T08:30');
  check('2026-11-24T08:30:45+07:00', '+07:00', '2026-11-24T08:30:45');
  // A time recorded in WITA shown on a WIB desk.
  check('2026-11-24T08:30:00+08:00', '+07:00', '2026-11-24T07:30');
  check('2026-11-24T23:30:00Z', '+07:00', '2026-11-25T06:30');
  check('2026-11-24 08:30:00 +07:00', '+07:00', '2026-11-24T08:30');
  check('2026-11-24T08:30:00', '+07:00', '');
  check('', '+07:00', '');
});

describe('instants and offsets', () => {
  it('reads offsets', () => {
    expect([offsetMinutes('+07:00'), offsetMinutes('-03:30'), offsetMinutes('Z'), offsetMinutes('WIB')]).toEqual([
      420, -210, 0, null,
    ]);
  });

  it('names Indonesian zones', () => {
    expect(['+07:00', '+08:00', '+09:00', '+05:30'].map(zoneName)).toEqual(['WIB', 'WITA', 'WIT', 'UTC+05:30']);
  });

  it('a timestamp without an offset is not an instant: the desk must never guess the zone', () => {
    expect(instant('2026-11-24T08:30:00')).toBeNull();
  });

  it('round-trips now through a datetime-local value', () => {
    const now = Date.UTC(2026, 10, 24, 1, 30);
    expect(toLocalInput(now, '+07:00')).toBe('2026-11-24T08:30');
    expect(instant(localInputToRfc3339(toLocalInput(now, '+07:00'), '+07:00'))).toBe(now);
  });

  it('prefills now to the minute', () => {
    expect(nowLocalInput(Date.UTC(2026, 10, 24, 1, 30, 59, 500), '+08:00')).toBe('2026-11-24T09:30');
  });

  it('compares instants across offsets', () => {
    expect(sameInstant('2026-11-24T08:30:00+07:00', '2026-11-24T09:30:00+08:00')).toBe(true);
    expect(sameInstant('2026-11-24T08:30:00+07:00', '2026-11-24T08:30:00+08:00')).toBe(false);
    expect(sameInstant('', '')).toBe(false);
  });
});

describe('durations', () => {
  const check = (ms: number, unit: string, count: number) =>
    it(`${ms / MINUTE} minutes -> ${count} ${unit}`, () => expect(roughDuration(ms)).toEqual({ unit, count }));

  check(20_000, 'minute', 1);
  check(59 * MINUTE, 'minute', 59);
  check(-59 * MINUTE, 'minute', 59);
  check(45 * HOUR + 59 * MINUTE, 'hour', 45);
  check(71 * HOUR, 'hour', 71);
  check(72 * HOUR, 'day', 3);
});

describe('dueState', () => {
  const due = '2026-11-26T08:30:00+07:00';
  const dueMs = instant(due)!;

  it('counts down while time is left', () => {
    expect(dueState(due, dueMs - 45 * HOUR - 10 * MINUTE)).toEqual({ overdue: false, span: { unit: 'hour', count: 45 } });
  });

  it('is overdue from the deadline on', () => {
    expect(dueState(due, dueMs)?.overdue).toBe(true);
    expect(dueState(due, dueMs + 2 * HOUR + 5 * MINUTE)).toEqual({ overdue: true, span: { unit: 'hour', count: 2 } });
  });

  it('gives nothing for an unreadable deadline', () => {
    expect(dueState('soon', dueMs)).toBeNull();
  });
});

describe('elapsed', () => {
  const accident = '2026-11-24T08:30:00+07:00';
  const at = instant(accident)!;

  it('is null under a minute and for a clock behind the accident', () => {
    expect(elapsed(accident, at + 30_000)).toBeNull();
    expect(elapsed(accident, at - HOUR)).toBeNull();
  });

  it('rounds down', () => {
    expect(elapsed(accident, at + 3 * HOUR + 59 * MINUTE)).toEqual({ unit: 'hour', count: 3 });
  });
});

describe('urgency and the order of the case list', () => {
  const now = Date.UTC(2026, 10, 30, 3, 0); // 10.00 WIB
  const row = (id: string, dueAt: string, extra: Partial<{ closed: boolean; sync_state: string; admitted_at: string }> = {}) => ({
    id,
    report_due_at: dueAt,
    admitted_at: extra.admitted_at ?? '2026-11-29T08:00:00+07:00',
    closed: extra.closed ?? false,
    sync_state: extra.sync_state ?? 'pending',
  });

  const check = (dueAt: string, expected: string) =>
    it(`${dueAt} -> ${expected}`, () => expect(urgencyOf(dueAt, now)).toBe(expected));
  check('2026-11-30T09:59:00+07:00', 'overdue');
  check('2026-11-30T10:00:00+07:00', 'overdue');
  check('2026-11-30T21:59:00+07:00', 'soon');
  check('2026-11-30T22:00:00+07:00', 'calm');
  check('2026-12-02T08:00:00+07:00', 'calm');

  it('puts overdue first, then the least time left, then what is already at the branch', () => {
    const ordered = byUrgency([
      row('calm', '2026-12-02T08:00:00+07:00'),
      row('sent', '2026-11-30T08:00:00+07:00', { sync_state: 'confirmed' }),
      row('soon', '2026-11-30T15:00:00+07:00'),
      row('overdue', '2026-11-30T09:00:00+07:00'),
      row('closed', '2026-11-30T09:30:00+07:00', { closed: true, admitted_at: '2026-11-30T09:00:00+07:00' }),
      row('overdue-most', '2026-11-29T09:00:00+07:00'),
    ]);
    expect(ordered.map((item) => item.id)).toEqual(['overdue-most', 'overdue', 'soon', 'calm', 'closed', 'sent']);
  });
});
