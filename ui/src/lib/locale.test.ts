import { describe, expect, it } from 'vitest';
import { instant } from './datetime';
import { makeLocale } from './locale';

const HOUR = 3_600_000;
const id = makeLocale('id', '+07:00');
const en = makeLocale('en', '+07:00');

describe('time left before the stage I report', () => {
  const due = '2026-11-26T08:30:00+07:00';
  const dueMs = instant(due)!;

  it('counts down, amber under 12 hours', () => {
    expect(id.due(due, dueMs - 45.5 * HOUR)).toEqual({ overdue: false, urgency: 'calm', text: 'sisa 45 jam' });
    expect(en.due(due, dueMs - 45.5 * HOUR)).toEqual({ overdue: false, urgency: 'calm', text: '45 hours left' });
    expect(id.due(due, dueMs - 12 * HOUR).urgency).toBe('calm');
    expect(id.due(due, dueMs - 11.9 * HOUR)).toEqual({ overdue: false, urgency: 'soon', text: 'sisa 11 jam' });
    expect(en.due(due, dueMs - 1.5 * HOUR)).toEqual({ overdue: false, urgency: 'soon', text: '1 hour left' });
    expect(id.due(due, dueMs - 20 * 60_000).text).toBe('sisa 20 menit');
  });

  it('says how late an overdue report is', () => {
    expect(id.due(due, dueMs + 2 * HOUR)).toEqual({ overdue: true, urgency: 'overdue', text: 'terlambat 2 jam' });
    expect(en.due(due, dueMs + 80 * HOUR)).toEqual({ overdue: true, urgency: 'overdue', text: '3 days overdue' });
  });

  it('writes measurements the way the language does', () => {
    expect(id.number(36.8)).toBe('36,8');
    expect(en.number(36.8)).toBe('36.8');
    expect(id.number(120)).toBe('120');
  });
});

describe('time since the accident', () => {
  const accident = '2026-11-24T08:30:00+07:00';
  const at = instant(accident)!;

  it('reads as "… lalu"', () => {
    expect(id.ago(accident, at + 3 * HOUR + 10 * 60_000)).toBe('3 jam lalu');
    expect(en.ago(accident, at + 10_000)).toBe('just now');
  });
});

describe('displayed values', () => {
  it('shows times in the desk offset with the zone name', () => {
    expect(id.dateTime('2026-11-24T09:30:00+08:00')).toMatch(/24 Nov 2026.*08[.:]30 WIB$/);
    expect(en.dateTime('2026-11-24T01:30:00Z')).toMatch(/24 Nov 2026.*08:30 WIB$/);
  });

  it('shows enums as labels, dates readably, and a dash for nothing', () => {
    expect(id.value('case_category', 'commuting_accident')).toBe('Kecelakaan lalu lintas perjalanan kerja');
    expect(id.value('birth_date', '1990-03-12')).toBe('12 Maret 1990');
    expect(id.value('police_report_number', undefined)).toBe('—');
    expect(id.value('full_name', 'Siti Aminah')).toBe('Siti Aminah');
  });
});
