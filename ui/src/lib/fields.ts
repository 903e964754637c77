// What the forms are made of: the contract's field names, their input kinds and enum values,
// grouped in the order of the paper form. Labels live in i18n.ts under `field.<name>`.
import type { MessageKey } from './i18n';

export const ENUMS = {
  sex: ['male', 'female'],
  segment: ['PU', 'BPU', 'JAKON', 'PMI'],
  case_category: ['work_accident', 'commuting_accident', 'occupational_disease', 'workplace_violence'],
  place_type: ['workplace', 'outside_workplace', 'traffic'],
  consent: ['patient', 'family', 'pending'],
  disposition: ['outpatient_working', 'outpatient_off_work', 'inpatient', 'referred', 'discharged', 'died'],
  outcome: [
    'recovered',
    'total_permanent_disability',
    'partial_anatomical_disability',
    'partial_functional_disability',
    'died',
  ],
} as const;

export type EnumName = keyof typeof ENUMS;

export type FieldKind = 'text' | 'textarea' | 'select' | 'date' | 'datetime' | 'tel' | 'number';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** The enum of a select. */
  options?: EnumName;
  /** Shown as required; the backend decides, the form never blocks on it. */
  required?: boolean;
  inputmode?: 'numeric' | 'decimal' | 'tel';
  /** A short hint under the label. */
  hint?: MessageKey;
  /** Spans the whole row of the grid. */
  wide?: boolean;
}

/** Something the desk offers for a field (taken with ↓ and Enter, or a click): what it knows
 *  already, never written into a field the person has not reached. */
export interface Offer {
  label: string;
  detail?: string;
  take: () => void;
}

export interface FieldGroup {
  key: 'patient' | 'employer' | 'accident' | 'contact' | 'consent';
  fields: FieldSpec[];
}

export const INTAKE_GROUPS: FieldGroup[] = [
  {
    key: 'patient',
    fields: [
      { name: 'nik', kind: 'text', inputmode: 'numeric', hint: 'hint.identity' },
      { name: 'kpj', kind: 'text', hint: 'hint.kpj' },
      { name: 'identity_document', kind: 'text', hint: 'hint.identity_document' },
      { name: 'full_name', kind: 'text', required: true },
      { name: 'sex', kind: 'select', options: 'sex', required: true },
      { name: 'birth_date', kind: 'date', required: true, hint: 'hint.date' },
      { name: 'phone', kind: 'tel', inputmode: 'tel' },
      { name: 'occupation', kind: 'text', hint: 'hint.occupation' },
      { name: 'address', kind: 'text', wide: true },
    ],
  },
  {
    key: 'employer',
    fields: [
      // The employer first: picking one this desk has seen fills its NPP and segment.
      { name: 'employer_name', kind: 'text', hint: 'hint.employer_name' },
      { name: 'employer_npp', kind: 'text' },
      { name: 'segment', kind: 'select', options: 'segment', required: true, wide: true },
    ],
  },
  {
    key: 'accident',
    fields: [
      { name: 'accident_at', kind: 'datetime', required: true, hint: 'hint.datetime' },
      { name: 'admitted_at', kind: 'datetime', required: true, hint: 'hint.admitted_at' },
      { name: 'case_category', kind: 'select', options: 'case_category', required: true, wide: true },
      { name: 'place_type', kind: 'select', options: 'place_type', required: true, wide: true },
      { name: 'accident_location', kind: 'text', required: true, wide: true },
      { name: 'chronology', kind: 'textarea', required: true, hint: 'hint.chronology', wide: true },
      { name: 'injury', kind: 'text', required: true, wide: true },
      { name: 'police_report_number', kind: 'text', hint: 'hint.police_report_number' },
    ],
  },
  {
    key: 'contact',
    fields: [
      { name: 'contact_name', kind: 'text', required: true },
      { name: 'contact_phone', kind: 'tel', inputmode: 'tel', required: true },
    ],
  },
  {
    key: 'consent',
    fields: [{ name: 'consent', kind: 'select', options: 'consent', required: true, hint: 'hint.consent', wide: true }],
  },
];

export const INTAKE_FIELDS: string[] = INTAKE_GROUPS.flatMap((group) => group.fields.map((field) => field.name));

export const DATETIME_FIELDS: ReadonlySet<string> = new Set(['accident_at', 'admitted_at']);

export const NOTE_VITALS: FieldSpec[] = [
  { name: 'systolic', kind: 'number', inputmode: 'numeric' },
  { name: 'diastolic', kind: 'number', inputmode: 'numeric' },
  { name: 'pulse', kind: 'number', inputmode: 'numeric' },
  { name: 'resp_rate', kind: 'number', inputmode: 'numeric' },
  { name: 'temperature_c', kind: 'number', inputmode: 'decimal' },
  { name: 'spo2', kind: 'number', inputmode: 'numeric' },
  { name: 'pain_score', kind: 'number', inputmode: 'numeric' },
];

export const NOTE_DETAILS: FieldSpec[] = [
  { name: 'icd10', kind: 'text', hint: 'hint.icd10' },
  { name: 'disposition', kind: 'select', options: 'disposition', wide: true },
  { name: 'referred_to', kind: 'text', hint: 'hint.referred_to' },
  { name: 'stmb_days', kind: 'number', inputmode: 'numeric' },
  { name: 'outcome', kind: 'select', options: 'outcome', hint: 'hint.outcome', wide: true },
];

/** Every note field the form edits, in form order. */
export const NOTE_FIELDS: string[] = ['text', ...NOTE_VITALS.map((f) => f.name), ...NOTE_DETAILS.map((f) => f.name)];
