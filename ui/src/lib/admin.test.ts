import { describe, expect, it } from 'vitest';
import { auditActionLabel, chainBreakText, monthRange, validDate } from './admin';

describe('monthRange', () => {
  it('is the current month at the desk offset', () => {
    // 2026-02-28 20:00 UTC is already 1 March in Jakarta (+07:00).
    const ms = Date.UTC(2026, 1, 28, 20, 0);
    expect(monthRange(ms, '+07:00')).toEqual({ from: '2026-03-01', to: '2026-03-31' });
    expect(monthRange(ms, '+00:00')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(monthRange(Date.UTC(2028, 1, 10), '+07:00')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
  });
});

describe('validDate', () => {
  it('accepts only real YYYY-MM-DD dates', () => {
    expect(validDate('2026-03-31')).toBe(true);
    expect(validDate('2026-02-30')).toBe(false);
    expect(validDate('31-03-2026')).toBe(false);
    expect(validDate('')).toBe(false);
  });
});

describe('audit words', () => {
  it('translates actions, and shows unknown ones as they are', () => {
    expect(auditActionLabel('id', 'open_case')).toBe('Membuka kasus');
    expect(auditActionLabel('en', 'sign_in_failed')).toBe('Sign-in failed');
    expect(auditActionLabel('id', 'brand_new')).toBe('brand_new');
  });

  it('names the first broken entry', () => {
    expect(chainBreakText('id', { seq: 17, kind: 'altered', message: 'hash differs' })).toBe(
      'Rantai rusak di entri #17: isi entri diubah (hash differs)',
    );
  });
});
