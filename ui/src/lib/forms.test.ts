import { describe, expect, it } from 'vitest';
import type { Issue, NoteView } from './api';
import { INTAKE_FIELDS } from './fields';
import { changedFields, emptyValues, intakeFormValues, intakePayload, noteFormValues, notePayload, placeIssues } from './forms';

const current: Record<string, string> = {
  nik: '3216014101900001',
  full_name: 'Siti Aminah',
  sex: 'female',
  birth_date: '1990-01-01',
  segment: 'BPU',
  accident_at: '2026-11-24T08:30:00+07:00',
  admitted_at: '2026-11-24T09:05:00+07:00',
  case_category: 'work_accident',
  place_type: 'workplace',
  accident_location: 'Pasar Cikarang',
  chronology: 'Terjatuh dari tangga saat mengangkat barang dagangan.',
  injury: 'Pergelangan tangan kiri bengkak',
  police_report_number: 'LP/123/XI/2026',
  contact_name: 'Budi',
  contact_phone: '081234567890',
  consent: 'patient',
};

describe('intakePayload', () => {
  it('sends only filled fields, trimmed, with times in RFC 3339 at the desk offset', () => {
    const values = { ...emptyValues(INTAKE_FIELDS), full_name: '  Siti Aminah ', accident_at: '2026-11-24T08:30', address: '   ' };
    expect(intakePayload(values, '+07:00')).toEqual({ full_name: 'Siti Aminah', accident_at: '2026-11-24T08:30:00+07:00' });
  });
});

describe('changedFields', () => {
  const form = () => intakeFormValues(current, '+07:00');

  it('is empty when nothing was touched, though times went through datetime-local', () => {
    expect(changedFields(current, form(), '+07:00')).toEqual({});
  });

  it('sends a changed value', () => {
    expect(changedFields(current, { ...form(), full_name: 'Siti Aminah Lubis' }, '+07:00')).toEqual({
      full_name: 'Siti Aminah Lubis',
    });
  });

  it('sends "" to clear an optional field', () => {
    expect(changedFields(current, { ...form(), police_report_number: '' }, '+07:00')).toEqual({ police_report_number: '' });
  });

  it('sends a field filled for the first time', () => {
    expect(changedFields(current, { ...form(), kpj: '12345678901' }, '+07:00')).toEqual({ kpj: '12345678901' });
  });

  it('sends a changed time with the desk offset', () => {
    expect(changedFields(current, { ...form(), accident_at: '2026-11-24T07:45' }, '+07:00')).toEqual({
      accident_at: '2026-11-24T07:45:00+07:00',
    });
  });

  it('does not count the same instant recorded at another offset as a change', () => {
    const wita = { ...current, accident_at: '2026-11-24T09:30:00+08:00' };
    expect(changedFields(wita, intakeFormValues(wita, '+07:00'), '+07:00')).toEqual({});
  });

  it('ignores spaces around an unchanged value', () => {
    expect(changedFields(current, { ...form(), full_name: ' Siti Aminah ' }, '+07:00')).toEqual({});
  });
});

const note: NoteView = {
  id: 'n1',
  intake_id: 'c1',
  written_at: '2026-11-24T10:00:00+07:00',
  author: 'Perawat Ani',
  text: 'Luka lecet, dibersihkan.',
  systolic: 120,
  diastolic: 80,
  pulse: null,
  resp_rate: null,
  temperature_c: 36.5,
  spo2: null,
  pain_score: 3,
  icd10: ['S61.0', 'W31'],
  disposition: 'outpatient_off_work',
  referred_to: null,
  stmb_days: 2,
  outcome: null,
  corrects: null,
  corrected_by: [],
  warnings: [],
  sync_state: 'pending',
};

describe('notes', () => {
  it('prefills a correction from the note and points at it', () => {
    const values = noteFormValues(note);
    expect(values).toMatchObject({ text: note.text, systolic: '120', temperature_c: '36.5', icd10: 'S61.0, W31', pulse: '', corrects: 'n1' });
  });

  it('sends filled fields, ICD-10 as typed (the desk reads the list), and a decimal comma as a point', () => {
    const values = { ...noteFormValues(note), temperature_c: '37,8', icd10: ' s61,0,W31  T14 ' };
    expect(notePayload(values)).toEqual({
      text: note.text,
      systolic: '120',
      diastolic: '80',
      temperature_c: '37.8',
      pain_score: '3',
      icd10: 's61,0,W31  T14',
      disposition: 'outpatient_off_work',
      stmb_days: '2',
      corrects: 'n1',
    });
  });
});

describe('placeIssues', () => {
  const issue = (field: string, severity: Issue['severity']): Issue => ({ field, rule: 'r', severity, message: '' });

  it('puts issues beside their fields and keeps the rest for the status line', () => {
    const placed = placeIssues([issue('nik', 'error'), issue('nik', 'warning'), issue('changes', 'error')], ['nik']);
    expect(placed.errors.nik).toHaveLength(1);
    expect(placed.warnings.nik).toHaveLength(1);
    expect(placed.general.map((i) => i.field)).toEqual(['changes']);
  });
});
