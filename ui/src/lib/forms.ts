// Form values <-> the wire: what the intake, correction and note forms send, and how stored
// records fill them. Form values are the raw strings of the inputs, keyed by contract field name.
import type { Issue, NoteView } from './api';
import { rfc3339ToLocalInput, localInputToRfc3339, sameInstant } from './datetime';
import { DATETIME_FIELDS, INTAKE_FIELDS, NOTE_FIELDS } from './fields';

export type FormValues = Record<string, string>;

export function emptyValues(fields: readonly string[]): FormValues {
  return Object.fromEntries(fields.map((field) => [field, '']));
}

/** One field as it goes on the wire: trimmed, datetimes in RFC 3339 at the desk's offset. */
function wireValue(field: string, value: string, offset: string): string {
  const trimmed = value.trim();
  return DATETIME_FIELDS.has(field) ? localInputToRfc3339(trimmed, offset) : trimmed;
}

/** A new intake: only the fields that were filled in. */
export function intakePayload(values: FormValues, offset: string): Record<string, string> {
  const payload: Record<string, string> = {};
  for (const field of INTAKE_FIELDS) {
    const value = wireValue(field, values[field] ?? '', offset);
    if (value !== '') payload[field] = value;
  }
  return payload;
}

/** The correction form prefilled with a case's current values. */
export function intakeFormValues(current: Record<string, string>, offset: string): FormValues {
  const values = emptyValues(INTAKE_FIELDS);
  for (const field of INTAKE_FIELDS) {
    const value = current[field] ?? '';
    values[field] = DATETIME_FIELDS.has(field) ? rfc3339ToLocalInput(value, offset) : value;
  }
  return values;
}

/** The fields a correction changes; "" clears an optional field. A datetime naming the same
 *  instant as before, or a value differing only in surrounding spaces, is no change. */
export function changedFields(current: Record<string, string>, values: FormValues, offset: string): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const field of INTAKE_FIELDS) {
    const before = (current[field] ?? '').trim();
    const after = wireValue(field, values[field] ?? '', offset);
    const same = after === before || (DATETIME_FIELDS.has(field) && sameInstant(before, after));
    if (!same) changes[field] = after;
  }
  return changes;
}

/** Decimal fields accept a decimal comma ("36,5"), as typed on Indonesian keyboards. */
const DECIMAL_FIELDS: ReadonlySet<string> = new Set(['temperature_c']);

/** A new note: filled fields only; `corrects` when it corrects a note. ICD-10 codes go as typed:
 *  the desk splits the list and reads a decimal comma ("S61,0") as S61.0. */
export function notePayload(values: FormValues): Record<string, string> {
  const payload: Record<string, string> = {};
  for (const field of [...NOTE_FIELDS, 'corrects']) {
    const value = (values[field] ?? '').trim();
    if (value === '') continue;
    payload[field] = DECIMAL_FIELDS.has(field) ? value.replace(',', '.') : value;
  }
  return payload;
}

/** The note form prefilled from a note, set to correct it. */
export function noteFormValues(note: NoteView): FormValues {
  const values = emptyValues(NOTE_FIELDS);
  const source = note as unknown as Record<string, unknown>;
  for (const field of NOTE_FIELDS) {
    const value = source[field];
    if (Array.isArray(value)) values[field] = value.join(', ');
    else if (value !== null && value !== undefined) values[field] = String(value);
  }
  values.corrects = note.id;
  return values;
}

export interface FieldIssues {
  errors: Record<string, Issue[]>;
  warnings: Record<string, Issue[]>;
  /** Issues about no field of the form (e.g. "changes", "id"), shown with the form's status. */
  general: Issue[];
}

export function placeIssues(issues: readonly Issue[], formFields: readonly string[]): FieldIssues {
  const placed: FieldIssues = { errors: {}, warnings: {}, general: [] };
  for (const issue of issues) {
    if (!formFields.includes(issue.field)) {
      placed.general.push(issue);
      continue;
    }
    const bucket = issue.severity === 'error' ? placed.errors : placed.warnings;
    (bucket[issue.field] ??= []).push(issue);
  }
  return placed;
}
