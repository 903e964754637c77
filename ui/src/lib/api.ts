// The typed boundary to the Rust side. This is the only module that calls `invoke`;
// its types mirror the Tauri commands of src-tauri (see the internal contract, section 3).
import { invoke } from '@tauri-apps/api/core';
import { open as openDialog } from '@tauri-apps/plugin-dialog';

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

export type Role = 'receptionist' | 'nurse' | 'admin';

export const ROLES: readonly Role[] = ['receptionist', 'nurse', 'admin'];

/** A staff account of the desk. */
export interface Account {
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
  has_pin: boolean;
  created_at: string;
}

/** setup: no keyring yet (first run); sign_in: set up, the database not opened since start;
 *  open: the database is open. */
export type Phase = 'setup' | 'sign_in' | 'open';

export interface AppInfo {
  data_dir: string;
  language: Lang;
  store_error: string | null;
  /** The desk's UTC offset, e.g. "+07:00". */
  utc_offset: string;
  phase: Phase;
  /** Who is signed in (null unless phase is open and someone is signed in). */
  user: Account | null;
  /** The screen is locked (`user` still set). */
  locked: boolean;
  idle_lock_minutes: number;
  /** In phase setup: records of an older unencrypted desk database that setup will encrypt. */
  unencrypted_records: number | null;
  /** The disk is full or nearly: the desk is using its reserve of space. */
  disk_full: boolean;
}

export interface SetupRequest {
  adminUser: string;
  adminName: string;
  password: string;
  pin: string | null;
}

export interface SetupResult {
  /** Shown once; the only way in without a password. */
  recovery_key: string;
  user: Account;
  migrated_records: number;
}

export interface AccountRequest {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  pin: string | null;
}

export interface ExportResult {
  cases_path: string;
  notes_path: string;
  cases: number;
  notes: number;
}

/** When the desk was last backed up; `overdue`: it holds records and none was made in 7 days. */
export interface BackupState {
  last_backup_at: string | null;
  records: number;
  overdue: boolean;
}

/** A backup written (one tar file: the encrypted database, keyring.json, a manifest). */
export interface BackupDone {
  path: string;
  bytes: number;
  manifest: {
    created_at: string;
    records: { intakes: number; corrections: number; notes: number };
    audit: { entries: number };
  };
}

/** A patient's data report written as a PDF. */
export interface PatientReportDone {
  path: string;
  cases: number;
  bytes: number;
}

/** One entry of the desk's audit log (hash-chained). */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  /** JSON text. */
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface AuditVerify {
  entries: number;
  first_break: { seq: number; kind: 'altered' | 'missing' | 'broken_link' | string; message: string } | null;
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
  /** 2 × 24 h after the note that closed the case (stage II, 3a KK2); null while open. */
  stage_two_due_at?: string | null;
  /** Oldest first. */
  revisions: Revision[];
  /** Oldest first. */
  notes: NoteView[];
  branch_status?: BranchStatus | null;
  conflicts?: Conflict[];
  /** The case's records the branch refused, with its reasons. */
  quarantine: QuarantineEntry[];
}

export interface NikFacts {
  province_code: string;
  regency_code: string;
  sex: 'male' | 'female';
  birth_date: string | null;
  serial: string;
  /** Names of digits 1-2 and 1-4, when the desk's reference list knows them. */
  province: string | null;
  regency: string | null;
}

/** An ICD-10 category with its title (injuries and external causes). */
export interface Icd10Entry {
  code: string;
  title: string;
}

/** An employer this desk has seen, as its latest case gave it. */
export interface EmployerOffer {
  employer_name: string;
  employer_npp: string | null;
  segment: string;
  accident_location: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  uses: number;
}

/** The patient fields of a returning patient's latest case. */
export interface ReturningPatient {
  case_id: string;
  admitted_at: string;
  fields: Record<string, string>;
}

/** A half-typed form kept for the signed-in person. */
export interface Draft {
  form: string;
  values: Record<string, string>;
  updated_at: string;
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
  full_name: string | null;
  /** Each reason with its field, rule code and params (translated like a local refusal). */
  issues: Issue[];
  /** When the branch refused it (its clock); null when it did not say. */
  rejected_at: string | null;
  /** Other records of the case held back until this one is accepted (for a rejected intake). */
  waiting_entries: number;
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

/** Sign-in, lock and account failures. `forbidden` (the role may not) is among the sync codes. */
export const ACCESS_ERROR_CODES = [
  'signed_out',
  'locked',
  'wrong_credentials',
  'locked_out',
  'wrong_pin',
  'already_set_up',
  'weak_password',
  'bad_pin',
  'bad_username',
  'username_taken',
] as const;

export type AccessErrorCode = (typeof ACCESS_ERROR_CODES)[number];

/** Failures of the storage under the desk's database (`StorageProblem::code` in plkk-store). */
export const STORAGE_ERROR_CODES = ['disk_full', 'read_only', 'database_locked', 'damaged'] as const;

export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'store'
  | 'unexpected'
  | SyncErrorCode
  | AccessErrorCode
  | StorageErrorCode;

/** A rejected command. `issues` holds errors first, then warnings. */
export class CommandError extends Error {
  readonly code: ErrorCode;
  readonly issues: Issue[];
  /** For `locked_out`: seconds until sign-in may be tried again. */
  readonly wait_seconds: number | null;

  constructor(code: ErrorCode, message: string, issues: Issue[] = [], waitSeconds: number | null = null) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.issues = issues;
    this.wait_seconds = waitSeconds;
  }
}

const KNOWN_CODES: readonly ErrorCode[] = [
  'invalid',
  'not_found',
  'store',
  ...SYNC_ERROR_CODES,
  ...ACCESS_ERROR_CODES,
  ...STORAGE_ERROR_CODES,
];

/** Turns whatever an `invoke` rejected with into a CommandError. */
export function toCommandError(rejection: unknown): CommandError {
  if (rejection instanceof CommandError) return rejection;
  if (typeof rejection === 'object' && rejection !== null) {
    const { code, message, issues, wait_seconds } = rejection as Record<string, unknown>;
    const knownCode = KNOWN_CODES.find((known) => known === code) ?? 'unexpected';
    const text = typeof message === 'string' ? message : String(rejection);
    const wait = typeof wait_seconds === 'number' && Number.isFinite(wait_seconds) ? wait_seconds : null;
    return new CommandError(knownCode, text, Array.isArray(issues) ? (issues as Issue[]) : [], wait);
  }
  return new CommandError('unexpected', String(rejection));
}

/** The codes meaning "nobody may use the desk right now": the lock or sign-in screen must show. */
export type SessionLoss = 'locked' | 'signed_out';

let sessionLost: ((code: SessionLoss) => void) | null = null;

/** Called with `locked` or `signed_out` whenever any command is refused with that code. */
export function onSessionLost(listener: ((code: SessionLoss) => void) | null): void {
  sessionLost = listener;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (rejection) {
    const error = toCommandError(rejection);
    if (error.code === 'locked' || error.code === 'signed_out') sessionLost?.(error.code);
    throw error;
  }
}

export const appInfo = () => call<AppInfo>('app_info');

/** First run: the administrator's account and the desk's keys. */
export const setup = (request: SetupRequest) => call<SetupResult>('setup', { ...request });

/** Signs in (opens the database in phase sign_in); also switches user or unlocks by password. */
export const signIn = (username: string, password: string) => call<Account>('sign_in', { username, password });

/** Unlocks the locked screen with the PIN (phase open only). */
export const unlockPin = (username: string, pin: string) => call<Account>('unlock_pin', { username, pin });

export const lock = () => call<null>('lock');

export const signOut = () => call<null>('sign_out');

export const accountsList = () => call<Account[]>('accounts_list');

export const accountAdd = (request: AccountRequest) => call<Account>('account_add', { ...request });

export const accountRemove = (username: string) => call<null>('account_remove', { username });

export const accountSetPin = (username: string, pin: string | null) => call<null>('account_set_pin', { username, pin });

export const setIdleLock = (minutes: number) => call<null>('set_idle_lock', { minutes });

/** Two CSV files of the cases and notes of a date range (YYYY-MM-DD, inclusive). */
export const exportCsv = (from: string, to: string) => call<ExportResult>('export_csv', { from, to });

/** Where backups and reports go unless another folder is picked (Downloads). */
export const defaultFolder = () => call<string>('default_folder');

export const backupState = () => call<BackupState>('backup_state');

/** A backup of the desk into `folder` (administrators; audited). */
export const makeBackup = (folder: string) => call<BackupDone>('backup_make', { folder });

/** Everything held about the person with `nik`, as a PDF in `folder` (administrators; audited). */
export const makePatientReport = (nik: string, folder: string) =>
  call<PatientReportDone>('patient_report_make', { nik, folder });

/** The system's folder picker, opened at `start`; null when the person cancels. */
export async function pickFolder(start: string): Promise<string | null> {
  const picked = await openDialog({ directory: true, multiple: false, defaultPath: start || undefined });
  return typeof picked === 'string' ? picked : null;
}

/** Newest first. */
export const auditList = (limit: number) => call<AuditEntry[]>('audit_list', { limit });

export const auditVerify = () => call<AuditVerify>('audit_verify');

/** After window.print() of a case (audited). */
export const casePrinted = (id: string) => call<null>('case_printed', { id });

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

/** The intake form's errors and warnings by the save's rules, without saving. */
export const intakeCheck = (fields: Record<string, string>) => call<Issue[]>('intake_check', { fields });

/** The note form's errors and warnings for a case of `caseCategory`, without saving. */
export const noteCheck = (fields: Record<string, string | string[]>, caseCategory: string) =>
  call<Issue[]>('note_check', { fields, caseCategory });

export const icd10Search = (query: string) => call<Icd10Entry[]>('icd10_search', { query });

export const employerOffers = (typed: string) => call<EmployerOffer[]>('employer_offers', { typed });

/** The patient fields of the latest case with this NIK (audited as opening that case). */
export const returningPatient = (nik: string) => call<ReturningPatient | null>('returning_patient', { nik });

export const draftsList = () => call<Draft[]>('drafts_list');

export const draftSave = (form: string, values: Record<string, string>) => call<null>('draft_save', { form, values });

export const draftClear = (form: string) => call<null>('draft_clear', { form });

/** [username, full name] of every account. */
export const staffNames = () => call<[string, string][]>('staff_names');

/** Tells the shell the first screen is drawn (logged, and timed by plkk-bench). */
export const reportFirstPaint = () => call<null>('first_paint');

export const syncStatus = () => call<SyncStatus>('sync_status');

/** One full cycle now (push everything, pull everything). */
export const syncNow = () => call<SyncSummary>('sync_now');

export const enroll = (request: EnrollRequest) => call<Enrolled>('enroll', { ...request });

export const quarantineList = () => call<QuarantineEntry[]>('quarantine_list');

/** Puts a rejected entry back in the queue (an intake is rebuilt from the case's current values). */
export const quarantineResend = (entryId: string) => call<null>('quarantine_resend', { entryId });
