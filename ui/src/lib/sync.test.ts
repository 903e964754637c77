import { describe, expect, it } from 'vitest';
import type { SyncStatus } from './api';
import { ageText, branchStatusLabel, clockTime, enrollErrorText, statusBarText, syncErrorText, syncFingerprint } from './sync';

const NOW = Date.parse('2026-11-24T12:00:00+07:00');
const OFFSET = '+07:00';

const ENROLLED = {
  clinic_code: 'KLN-01',
  clinic_name: 'Klinik Sehat Cikarang',
  device_id: '01936f5e-7b2a-7c3d-9e4f-0a1b2c3d4e5f',
  branch_url: 'https://cabang.example',
};

function status(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return {
    enrolled: ENROLLED,
    online: true,
    pending: 0,
    sent: 0,
    confirmed: 10,
    rejected: 0,
    conflict: 0,
    unconfirmed: 0,
    oldest_unconfirmed_at: null,
    last_attempt_at: '2026-11-24T11:59:00+07:00',
    last_success_at: '2026-11-24T10:42:13+07:00',
    last_error: null,
    stalled: false,
    clock_offset_seconds: 2,
    waiting: 0,
    clock_skew: false,
    ...overrides,
  };
}

describe('ageText', () => {
  it('says how old a record is in the largest readable unit', () => {
    expect(ageText('id', '2026-11-24T10:00:00+07:00', NOW)).toBe('2 jam');
    expect(ageText('id', '2026-11-24T11:59:30+07:00', NOW)).toBe('1 menit');
    expect(ageText('id', '2026-11-24T11:45:00+07:00', NOW)).toBe('15 menit');
    expect(ageText('en', '2026-11-20T12:00:00+07:00', NOW)).toBe('4 days');
    expect(ageText('en', '2026-11-24T11:00:00+07:00', NOW)).toBe('1 hour');
  });

  it('is null for an unreadable timestamp', () => {
    expect(ageText('id', 'kemarin', NOW)).toBeNull();
  });
});

describe('clockTime', () => {
  it('gives the time of day at the desk offset', () => {
    expect(clockTime('2026-11-24T03:42:13Z', OFFSET, NOW)).toBe('10:42');
    expect(clockTime('2026-11-24T10:42:13+07:00', '+08:00', NOW)).toBe('11:42');
  });

  it('adds the day when it is not today', () => {
    expect(clockTime('2026-11-23T10:42:00+07:00', OFFSET, NOW, 'en')).toBe('23 Nov 10:42');
  });
});

describe('statusBarText', () => {
  it('says all sent only when enrolled and nothing is unconfirmed', () => {
    const text = statusBarText(status(), 'id', OFFSET, NOW);
    expect(text).toMatchObject({
      connection: 'online',
      connectionText: 'Terhubung',
      queue: 'Semua terkirim',
      allSent: true,
      lastSuccess: 'Terakhir terkirim 10:42',
      error: null,
      clockWarning: null,
      stalled: null,
    });
  });

  it('never says all sent when not enrolled, and says to enrol', () => {
    const text = statusBarText(status({ enrolled: null, online: null, last_success_at: null, confirmed: 0 }), 'id', OFFSET, NOW);
    expect(text.allSent).toBe(false);
    expect(text.queue).not.toContain('Semua terkirim');
    expect(text.connectionText).toBe('Sambungan belum diperiksa');
    expect(text.lastSuccess).toBeNull();
    expect(text.error).toBe('Belum terdaftar ke kantor cabang: belum ada yang dikirim — buka Pengaturan');
  });

  it('counts unconfirmed records with the age of the oldest', () => {
    const text = statusBarText(
      status({ pending: 2, sent: 1, unconfirmed: 3, oldest_unconfirmed_at: '2026-11-24T10:00:00+07:00' }),
      'id',
      OFFSET,
      NOW,
    );
    expect(text.queue).toBe('3 catatan belum dikonfirmasi, tertua 2 jam');
    expect(text.allSent).toBe(false);
    expect(statusBarText(status({ pending: 1, unconfirmed: 1, oldest_unconfirmed_at: '2026-11-24T11:00:00+07:00' }), 'en', OFFSET, NOW).queue).toBe(
      '1 record not yet confirmed, oldest 1 hour',
    );
  });

  it('shows offline, the last error in plain words, and the stalled warning', () => {
    const text = statusBarText(
      status({
        online: false,
        pending: 4,
        unconfirmed: 4,
        oldest_unconfirmed_at: '2026-11-24T11:00:00+07:00',
        last_error: { code: 'branch_unreachable', message: 'connection refused' },
        stalled: true,
      }),
      'id',
      OFFSET,
      NOW,
    );
    expect(text.connectionText).toBe('Tidak terhubung');
    expect(text.error).toBe('Kantor cabang tidak dapat dihubungi; data tetap aman di komputer ini dan akan dikirim otomatis');
    expect(text.stalled).toContain('tertahan');
  });

  it('says never sent before the first success, and not all sent either', () => {
    const text = statusBarText(status({ last_success_at: null, confirmed: 0 }), 'id', OFFSET, NOW);
    expect(text.lastSuccess).toBe('Belum pernah terkirim');
    expect(text.allSent).toBe(false);
    expect(text.queue).toBe('Tidak ada catatan menunggu');
  });

  it('warns about a desk clock far from the branch, once', () => {
    expect(statusBarText(status({ clock_offset_seconds: -725 }), 'id', OFFSET, NOW).clockWarning).toBe(
      'Jam komputer berbeda 12 menit dari kantor cabang',
    );
    const asError = statusBarText(
      status({ clock_offset_seconds: 600, last_error: { code: 'clock_skew', message: 'clock differs by 10 min' } }),
      'id',
      OFFSET,
      NOW,
    );
    expect(asError.error).toBe('Jam komputer berbeda 10 menit dari kantor cabang');
    expect(asError.clockWarning).toBeNull();
    expect(statusBarText(status({ clock_offset_seconds: 200 }), 'id', OFFSET, NOW).clockWarning).toBeNull();
  });

  it('points at the quarantine when records were rejected', () => {
    const text = statusBarText(status({ rejected: 2, unconfirmed: 2 }), 'id', OFFSET, NOW);
    expect(text.error).toBe('2 catatan ditolak kantor cabang — lihat Karantina');
  });
});

describe('syncErrorText', () => {
  it('has plain words for every engine error code', () => {
    const expected: Record<string, string> = {
      not_enrolled: 'Belum terdaftar ke kantor cabang: belum ada yang dikirim — buka Pengaturan',
      device_revoked: 'Perangkat dicabut oleh kantor cabang — hubungi admin cabang',
      unexpected_response: 'Jawaban tidak dikenal (mungkin jaringan Wi-Fi meminta login)',
    };
    for (const [code, text] of Object.entries(expected)) {
      expect(syncErrorText('id', { code, message: 'x' })).toBe(text);
    }
    for (const code of ['tls', 'server_error', 'branch_unreachable']) {
      expect(syncErrorText('id', { code, message: 'x' })).not.toContain('x');
      expect(syncErrorText('en', { code, message: 'x' })).not.toBe(syncErrorText('id', { code, message: 'x' }));
    }
  });

  it('tells a broken connection from a certificate problem by the code, whatever the message says', () => {
    // A connection closed without TLS close_notify: the desk classifies it branch_unreachable.
    const dropped = { code: 'branch_unreachable', message: 'peer closed connection without sending TLS close_notify' };
    expect(syncErrorText('id', dropped)).toContain('tidak dapat dihubungi');
    expect(syncErrorText('id', dropped)).not.toContain('sertifikat');
    expect(syncErrorText('en', dropped)).not.toContain('certificate');
    const untrusted = { code: 'tls', message: 'invalid peer certificate: UnknownIssuer' };
    expect(syncErrorText('id', untrusted)).toContain('sertifikat');
  });

  it('falls back to the engine message for an unknown code', () => {
    expect(syncErrorText('id', { code: 'brand_new', message: 'disk full' })).toBe('Pengiriman gagal: disk full');
  });
});

describe('enrollErrorText', () => {
  it('explains each enrolment failure', () => {
    expect(enrollErrorText('id', { code: 'enrollment_code_used', message: '' })).toContain('sudah pernah dipakai');
    expect(enrollErrorText('id', { code: 'enrollment_code_expired', message: '' })).toContain('kedaluwarsa');
    expect(enrollErrorText('id', { code: 'enrollment_code_unknown', message: '' })).toContain('tidak dikenal');
    expect(enrollErrorText('id', { code: 'insecure_url', message: '' })).toContain('http://');
    expect(enrollErrorText('id', { code: 'branch_unreachable', message: '' })).toContain('tidak dapat dihubungi');
    expect(enrollErrorText('en', { code: 'unexpected', message: 'boom' })).toBe('Enrolment failed: boom');
  });
});

describe('branchStatusLabel', () => {
  it('names every branch status, and shows an unknown one as is', () => {
    expect(branchStatusLabel('id', 'received')).toBe('Diterima cabang');
    expect(branchStatusLabel('id', 'eligible')).toBe('Layak');
    expect(branchStatusLabel('id', 'not_eligible')).toBe('Tidak layak');
    expect(branchStatusLabel('id', 'guarantee_issued')).toBe('Surat jaminan terbit');
    expect(branchStatusLabel('id', 'concluded_work_accident')).toBe('Ditetapkan KK');
    expect(branchStatusLabel('id', 'concluded_not_work_accident')).toBe('Ditetapkan bukan KK');
    expect(branchStatusLabel('en', 'something_new')).toBe('something_new');
  });
});

describe('syncFingerprint', () => {
  it('changes when records are confirmed or a sync succeeds, not when only time passes', () => {
    const before = status({ pending: 1, unconfirmed: 1, confirmed: 0 });
    expect(syncFingerprint(before)).toBe(syncFingerprint({ ...before, last_attempt_at: 'later' }));
    expect(syncFingerprint(before)).not.toBe(syncFingerprint({ ...before, pending: 0, confirmed: 1 }));
    expect(syncFingerprint(before)).not.toBe(syncFingerprint({ ...before, last_success_at: '2026-11-24T11:00:00+07:00' }));
  });
});
