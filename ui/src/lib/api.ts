// The typed boundary to the Rust side. This is the only module that calls `invoke`;
// its types mirror the Tauri commands of src-tauri (see the internal contract, section 3).
import { invoke } from '@tauri-apps/api/core';

export type Lang = 'id' | 'en';
export type Severity = 'error' | 'warning';
export type SyncState = 'pending' | 'sent' | 'confirmed' | 'rejected' | 'conflict';

export interface Issue {
  field: string;
  rule: string;
  severity: Severity;
  /** English text from the domain crate, used when the UI has no translation for `rule`. */
  message: string;
  params?: Record<string, string>;
}

export interface AppInfo {
  data_dir: string;
  language: Lang;
  store_error: string | null;
  author: string;
  /** The desk's UTC offset, e.g. "+07:00". */
  utc_offset: string;
}

export interface Saved {
  id: string;
  warnings: Issue[];
}

export interface CaseSummary {
  id: string;
  full_name: string;
  // Optional intake fields are left out of the JSON when absent.
  nik?: string | null;
  kpj?: string | null;
  employer_name?: string | null;
  case_category: string;
  accident_at: string;
  admitted_at: string;
  report_due_at: string;
  sync_state: SyncState;
  closed: boolean;
  warning_count: number;
  /** The branch's answer for the case, once pulled. */
  branch_status?: BranchStatus | null;
}

/** A case status the branch sets (DOMAIN.md "Case status from the branch"). */
export type BranchStatusCode =
  | 'received'
  | 'eligible'
  | 'not_eligible'
  | 'guarantee_issued'
  | 'concluded_work_accident'
  | 'concluded_not_work_accident';

export interface BranchStatus {
  status: BranchStatusCode | string;
  reason: string | null;
  reference: string | null;
  changed_at: string;
}

/** One field two desks changed concurrently: the value both started from, the branch's current
 *  value, and the value of the correction that conflicted. */
export interface ConflictField {
  field: string;
  base: string | null;
  branch: string | null;
  desk: string | null;
}

export interface Conflict {
  correction_id: string;
  author: string;
  written_at: string;
  reason: string;
  /** Whose correction conflicted: this desk's, or another desk's of the clinic. */
  origin: 'this_desk' | 'other_desk';
  fields: ConflictField[];
}

export interface FieldChange {
  field: string;
  from: string | null;
  to: string | null;
}

export interface Revision {
  /** 0 = the admission itself. */
  revision: number;
  written_at: string;
  author: string;
  reason: string | null;
  changes: FieldChange[];
}

export interface NoteView {
  id: string;
  intake_id: string;
  written_at: string;
  author: string;
  text: string;
  systolic: number | null;
  diastolic: number | null;
  pulse: number | null;
  resp_rate: number | null;
  temperature_c: number | null;
  spo2: number | null;
  pain_score: number | null;
  icd10: string[];
  disposition: string | null;
  referred_to: string | null;
  stmb_days: number | null;
  outcome: string | null;
  corrects: string | null;
  corrected_by: string[];
  warnings: Issue[];
  sync_state: SyncState;
}

export interface CaseDetail {
  id: string;
  /** Current intake values, every present field as text. */
  fields: Record<string, string>;
  warnings: Issue[];
  report_due_at: string;
  sync_state: SyncState;
  closed: boolean;
  outcome: string | null;
  /** Oldest first. */
  revisions: Revision[];
  /** Oldest first. */
  notes: NoteView[];
  branch_status?: BranchStatus | null;
  conflicts?: Conflict[];
}

export interface NikFacts {
  province_code: string;
  regency_code: string;
  sex: 'male' | 'female';
  birth_date: string | null;
  serial: string;
}

/** The branch a desk is enrolled to. */
export interface Enrolled {
  clinic_code: string;
  clinic_name: string;
  device_id: string;
  branch_url: string;
}

export interface EnrollRequest {
  branchUrl: string;
  code: string;
  deviceName: string;
  caCertPem: string | null;
}

/** The sync engine's state, as `sync_status` reports it (counts are outbox records). */
export interface SyncStatus {
  enrolled: Enrolled | null;
  /** null before the first attempt to reach the branch. */
  online: boolean | null;
  pending: number;
  sent: number;
  confirmed: number;
  rejected: number;
  conflict: number;
  /** pending + sent + rejected + conflict. */
  unconfirmed: number;
  /** Entries held back because their case's intake is in quarantine. */
  waiting?: number;
  oldest_unconfirmed_at: string | null;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: { code: string; message: string } | null;
  /** Work is pending and nothing was attempted for too long. */
  stalled: boolean;
  /** The desk's clock minus the branch's, when known. */
  clock_offset_seconds: number | null;
  /** The clocks are more than 5 minutes apart. */
  clock_skew?: boolean;
}

/** One "Kirim sekarang": what a full cycle did. */
export interface SyncSummary {
  sent: number;
  confirmed: number;
  rejected: number;
  conflicts: number;
  pulled: number;
  pending: number;
}

/** A record the branch refused, waiting in quarantine with the reasons. */
export interface QuarantineEntry {
  entry_id: string;
  kind: 'intake' | 'intake_correction' | 'note' | string;
  record_id: string;
  intake_id: string;
  /** The case's patient, when the store names it. */
  full_name?: string | null;
  issues: Issue[];
  rejected_at?: string | null;
  created_at?: string | null;
  /** Other records of the case held back until this one is accepted (for a rejected intake). */
  waiting_entries?: number;
}

/** Sync and enrolment failures, by the codes plkk-sync gives them. */
export const SYNC_ERROR_CODES = [
  'not_enrolled',
  'branch_unreachable',
  'device_revoked',
  'unexpected_response',
  'server_error',
  'tls',
  'rejected_records',
  'clock_skew',
  'enrollment_code_unknown',
  'enrollment_code_expired',
  'enrollment_code_used',
  'insecure_url',
  'invalid_url',
  'unauthorized',
  'forbidden',
  'refused',
  'engine_stopped',
] as const;

export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

export type ErrorCode = 'invalid' | 'not_found' | 'store' | 'unexpected' | SyncErrorCode;

/** A rejected command. `issues` holds errors first, then warnings. */
export class CommandError extends Error {
  readonly code: ErrorCode;
  readonly issues: Issue[];

  constructor(code: ErrorCode, message: string, issues: Issue[] = []) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.issues = issues;
  }
}

const KNOWN_CODES: readonly ErrorCode[] = ['invalid', 'not_found', 'store', ...SYNC_ERROR_CODES];

/** Turns whatever an `invoke` rejected with into a CommandError. */
export function toCommandError(rejection: unknown): CommandError {
  if (rejection instanceof CommandError) return rejection;
  if (typeof rejection === 'object' && rejection !== null) {
    const { code, message, issues } = rejection as Record<string, unknown>;
    const knownCode = KNOWN_CODES.find((known) => known === code) ?? 'unexpected';
    const text = typeof message === 'string' ? message : String(rejection);
    return new CommandError(knownCode, text, Array.isArray(issues) ? (issues as Issue[]) : []);
  }
  return new CommandError('unexpected', String(rejection));
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (rejection) {
    throw toCommandError(rejection);
  }
}

export const appInfo = () => call<AppInfo>('app_info');

export const setLanguage = (language: Lang) => call<null>('set_language', { language });

export const admitIntake = (fields: Record<string, string>) => call<Saved>('intake_add', { fields });

export const listCases = (search: string, openOnly: boolean) =>
  call<CaseSummary[]>('intake_list', { search, openOnly });

export const showCase = (id: string) => call<CaseDetail>('intake_show', { id });

export const casesWithNik = (nik: string) => call<CaseSummary[]>('intake_find_by_nik', { nik });

export const addNote = (intakeId: string, fields: Record<string, string | string[]>) =>
  call<Saved>('note_add', { intakeId, fields });

export const correctIntake = (id: string, reason: string, changes: Record<string, string>) =>
  call<Saved>('intake_correct', { id, reason, changes });

export const decodeNik = (nik: string) => call<NikFacts | null>('nik_decode', { nik });

/** Tells the shell the first screen is drawn (logged, and timed by plkk-bench). */
export const reportFirstPaint = () => call<null>('first_paint');

export const syncStatus = () => call<SyncStatus>('sync_status');

/** One full cycle now (push everything, pull everything). */
export const syncNow = () => call<SyncSummary>('sync_now');

export const enroll = (request: EnrollRequest) => call<Enrolled>('enroll', { ...request });

export const quarantineList = () => call<QuarantineEntry[]>('quarantine_list');

/** Puts a rejected entry back in the queue (an intake is rebuilt from the case's current values). */
export const quarantineResend = (entryId: string) => call<null>('quarantine_resend', { entryId });
