import { describe, expect, it } from 'vitest';
import type { Issue } from './api';
import { dictionaries, interpolate, issueText, translate } from './i18n';

const issue = (rule: string, params?: Record<string, string>, field = 'nik'): Issue => ({
  field,
  rule,
  severity: 'error',
  message: `${field}: english message for ${rule}`,
  params,
});

// Every rule code of the contract (section 2).
const RULES = [
  'required', 'required_for_segment', 'required_for_category', 'required_when_referred', 'unknown_field',
  'not_text', 'not_number', 'not_integer', 'choice', 'too_short', 'too_long', 'uuid_format', 'nik_format',
  'nik_day', 'nik_serial', 'identity_required', 'kpj_format', 'phone_format', 'npp_format', 'date_format',
  'date_in_future', 'datetime_format', 'accident_after_admission', 'admitted_in_future', 'out_of_range',
  'icd10_format', 'too_many', 'duplicate_field', 'set_by_app', 'not_correctable', 'no_changes', 'not_found', 'intake_mismatch',
  'nik_province_unknown', 'nik_month', 'nik_birth_date_mismatch', 'nik_sex_mismatch', 'kpj_letters',
  'age_unusual', 'npp_length', 'police_report_missing', 'icd10_chapter', 'nik_seen_before',
];

describe('interpolate', () => {
  it('fills placeholders', () => {
    expect(interpolate('sisa {duration}', { duration: '45 jam' })).toBe('sisa 45 jam');
    expect(interpolate('{n} dari {n}', { n: 2 })).toBe('2 dari 2');
  });

  it('is null when a placeholder has no value', () => {
    expect(interpolate('Harus antara {min} dan {max}', { min: '5' })).toBeNull();
  });
});

describe('dictionaries', () => {
  it('translate every rule code of the contract in both languages', () => {
    for (const lang of ['id', 'en'] as const) {
      const missing = RULES.filter((rule) => !(`rule.${rule}` in dictionaries[lang]));
      expect(missing, `rules without a ${lang} message`).toEqual([]);
    }
  });

  it('use the same placeholders in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(dictionaries.id)) {
      const english = (dictionaries.en as Record<string, string>)[key];
      expect(placeholders(english), key).toEqual(placeholders(text));
    }
  });
});

describe('issueText', () => {
  it('translates a rule with its params', () => {
    expect(issueText('id', issue('out_of_range', { min: '50', max: '260' }, 'systolic'))).toBe('Harus antara 50 dan 260');
    expect(issueText('en', issue('too_short', { min: '20' }, 'chronology'))).toBe('Too short: at least 20 characters');
    expect(issueText('id', issue('nik_day'))).toBe('Tanggal lahir di NIK harus 01–31, atau 41–71 untuk perempuan');
  });

  it('explains a record the desk cannot deliver because the branch accepts less', () => {
    expect(issueText('id', issue('too_large_for_branch', undefined, 'record'))).toContain('terlalu besar');
    expect(issueText('en', issue('too_large_for_branch', undefined, 'record'))).toContain('too large');
  });

  it('shows enum values in params as their labels', () => {
    expect(issueText('id', issue('choice', { allowed: 'male, female' }, 'sex'))).toBe('Pilih salah satu: Laki-laki, Perempuan');
    expect(issueText('en', issue('required_for_category', { category: 'occupational_disease' }, 'occupation'))).toBe(
      'Required for “Occupational disease”',
    );
  });

  it('falls back to the English message for an unknown rule', () => {
    expect(issueText('id', issue('brand_new_rule'))).toBe('nik: english message for brand_new_rule');
  });

  it('falls back to the English message when a param is missing', () => {
    expect(issueText('id', issue('out_of_range', { min: '50' }))).toBe('nik: english message for out_of_range');
  });
});

describe('translate', () => {
  it('shows an unknown key as itself rather than nothing', () => {
    expect(translate('id', 'no.such.key')).toBe('no.such.key');
  });

  it('names sync states as the contract says', () => {
    expect(translate('id', 'sync.pending')).toBe('belum terkirim');
    expect(translate('id', 'sync.sent')).toBe('terkirim');
    expect(translate('id', 'sync.confirmed')).toBe('dikonfirmasi');
    expect(translate('id', 'sync.rejected')).toBe('ditolak');
    expect(translate('id', 'sync.conflict')).toBe('konflik');
  });
});

describe('accounts and audit words', () => {
  // plkk_domain::AuditAction::as_str
  const AUDIT_ACTIONS = [
    'setup', 'sign_in', 'sign_in_failed', 'sign_out', 'lock', 'unlock', 'open_case', 'admit', 'correct_intake',
    'add_note', 'export', 'print', 'account_added', 'account_removed', 'account_changed', 'enroll',
    'settings_changed', 'database_encrypted', 'refused', 'resend', 'register_bpu', 'open_registration',
    'reference_imported',
  ];

  it('name every role and audit action in both languages', () => {
    for (const lang of ['id', 'en'] as const) {
      const keys = [...['receptionist', 'nurse', 'admin'].map((r) => `role.${r}`), ...AUDIT_ACTIONS.map((a) => `audit.action.${a}`)];
      expect(keys.filter((key) => !(key in dictionaries[lang])), lang).toEqual([]);
    }
    expect(translate('id', 'role.receptionist')).toBe('Resepsionis');
    expect(translate('id', 'role.nurse')).toBe('Perawat');
    expect(translate('id', 'role.admin')).toBe('Administrator');
  });
});

describe('a refusal from the branch', () => {
  // What `plkk quarantine list --json` and the window's quarantine receive: the branch keeps the
  // rule's params, so the reason reads in Indonesian like a refusal on the desk.
  const fromBranch: Issue = {
    field: 'chronology',
    rule: 'too_short',
    severity: 'error',
    message: 'chronology: must be at least 20 characters (got 6)',
    params: { min: '20' },
  };

  it('is said in Indonesian with its params', () => {
    expect(issueText('id', fromBranch)).toBe('Terlalu pendek, minimal 20 karakter');
    expect(issueText('en', fromBranch)).not.toContain('{min}');
  });
});

describe('storage failures', () => {
  it('have words in both languages', () => {
    for (const code of ['disk_full', 'read_only', 'database_locked', 'damaged']) {
      for (const lang of ['id', 'en'] as const) {
        expect(translate(lang, `error.${code}`)).not.toBe(`error.${code}`);
      }
    }
  });
});

describe('case document words', () => {
  // plkk_domain::prepare_document's and the store's document rule codes (issue 13).
  const RULES = [
    'document_kind_unknown', 'document_type_unsupported', 'document_type_mismatch', 'document_too_large',
    'document_empty', 'document_unreadable', 'unreadable', 'already_removed',
  ];

  it('say every document rule and act in both languages', () => {
    for (const lang of ['id', 'en'] as const) {
      expect(RULES.filter((rule) => !(`rule.${rule}` in dictionaries[lang])), lang).toEqual([]);
      for (const act of ['attach_document', 'open_document', 'remove_document']) {
        expect(`audit.action.${act}` in dictionaries[lang], `${lang} ${act}`).toBe(true);
      }
      expect('forbidden.attach_document' in dictionaries[lang], lang).toBe(true);
    }
  });
});

describe('Daftar BPU words', () => {
  // plkk_domain's BPU rule codes and the store's duplicate warnings (issue 11).
  const RULES = [
    'programmes_required', 'period_choice', 'starts_in_past', 'starts_too_late', 'bpu_age', 'consent_required',
    'nik_registered_before', 'nik_known_participant', 'contribution_mismatch', 'tariff_unknown',
  ];

  it('say every BPU rule in both languages', () => {
    for (const lang of ['id', 'en'] as const) {
      expect(RULES.filter((rule) => !(`rule.${rule}` in dictionaries[lang])), lang).toEqual([]);
    }
    const warning: Issue = {
      field: 'nik',
      rule: 'nik_known_participant',
      severity: 'warning',
      message: 'nik: ...',
      params: { kpj: '26110000123', full_name: 'Wati', case: 'x' },
    };
    expect(issueText('id', warning)).toBe('NIK ini sudah peserta: KPJ 26110000123 (Wati)');
  });
});
