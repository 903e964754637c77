// The typed boundary to the Rust side. This is the only module that calls `invoke`;
// its types mirror the Tauri commands of src-tauri (see the internal contract, section 3).
import { invoke } from '@tauri-apps/api/core';
import { open as openDialog } from '@tauri-apps/plugin-dialog';
import { getCurrentWebview } from '@tauri-apps/api/webview';

// The answers' types are generated from the Rust types (ts-rs) into ./bindings by
// `PLKK_UPDATE_BINDINGS=1 cargo test -p plkk-tests --test ui_bindings`; that test fails when they
// drift. Only the commands' argument shapes below are written by hand.
import type { Account } from './bindings/Account';
import type { BpuCheck } from './bindings/BpuCheck';
import type { BpuStatus } from './bindings/BpuStatus';
import type { BpuView } from './bindings/BpuView';
import type { Contribution } from './bindings/Contribution';
import type { KnownParticipant } from './bindings/KnownParticipant';
import type { AuditEntry } from './bindings/AuditEntry';
import type { AuditReport } from './bindings/AuditReport';
import type { BackupDone } from './bindings/BackupDone';
import type { BackupState } from './bindings/BackupState';
import type { BranchStatus } from './bindings/BranchStatus';
import type { CaseDetail } from './bindings/CaseDetail';
import type { CaseListItem } from './bindings/CaseListItem';
import type { ConflictView } from './bindings/ConflictView';
import type { DocumentData } from './bindings/DocumentData';
import type { DocumentKind } from './bindings/DocumentKind';
import type { DocumentView } from './bindings/DocumentView';
import type { Draft as DraftAnswer } from './bindings/Draft';
import type { EmployerOffer } from './bindings/EmployerOffer';
import type { Enrolled } from './bindings/Enrolled';
import type { ExportDone } from './bindings/ExportDone';
import type { FieldChange } from './bindings/FieldChange';
import type { FieldConflict } from './bindings/FieldConflict';
import type { Icd10Entry } from './bindings/Icd10Entry';
import type { Issue } from './bindings/Issue';
import type { Language } from './bindings/Language';
import type { NikFacts } from './bindings/NikFacts';
import type { NoteView } from './bindings/NoteView';
import type { PatientReportDone } from './bindings/PatientReportDone';
import type { LetterDone } from './bindings/LetterDone';
import type { LetterKind } from './bindings/LetterKind';
import type { QuarantinedEntry } from './bindings/QuarantinedEntry';
import type { ReturningPatient } from './bindings/ReturningPatient';
import type { Revision } from './bindings/Revision';
import type { Role } from './bindings/Role';
import type { Saved } from './bindings/Saved';
import type { SessionInfo } from './bindings/SessionInfo';
import type { SetUp } from './bindings/SetUp';
import type { Severity } from './bindings/Severity';
import type { SyncState } from './bindings/SyncState';
import type { SyncStatus } from './bindings/SyncStatus';
import type { SyncSummary } from './bindings/SyncSummary';

export type {
  Account,
  AuditEntry,
  BpuCheck,
  BpuStatus,
  BpuView,
  Contribution,
  KnownParticipant,
  BackupDone,
  BackupState,
  BranchStatus,
  CaseDetail,
  DocumentData,
  DocumentKind,
  DocumentView,
  EmployerOffer,
  Enrolled,
  FieldChange,
  Icd10Entry,
  Issue,
  NikFacts,
  NoteView,
  PatientReportDone,
  LetterDone,
  LetterKind,
  ReturningPatient,
  Revision,
  Role,
  Saved,
  Severity,
  SyncState,
  SyncStatus,
  SyncSummary,
};

export type Lang = Language;
export type AppInfo = SessionInfo;
export type Phase = SessionInfo['phase'];
export type SetupResult = SetUp;
export type ExportResult = ExportDone;
export type AuditVerify = AuditReport;
export type CaseSummary = CaseListItem;
export type Conflict = ConflictView;
export type ConflictField = FieldConflict;
export type QuarantineEntry = QuarantinedEntry;
/** A half-typed form: the window saves text values only. */
export type Draft = Omit<DraftAnswer, 'values'> & { values: Record<string, string> };

/** A case status the branch sets (DOMAIN.md "Case status from the branch"). */
export type BranchStatusCode =
  | 'received'
  | 'eligible'
  | 'not_eligible'
  | 'guarantee_issued'
  | 'concluded_work_accident'
  | 'concluded_not_work_accident';

export const ROLES: readonly Role[] = ['receptionist', 'nurse', 'admin'];

export interface SetupRequest {
  adminUser: string;
  adminName: string;
  password: string;
  pin: string | null;
}

export interface AccountRequest {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  pin: string | null;
}

export interface EnrollRequest {
  branchUrl: string;
  code: string;
  deviceName: string;
  caCertPem: string | null;
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
  'wrong_recovery_key',
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

async function call<T>(
  command: string,
  args?: Record<string, unknown> | Uint8Array,
  headers?: Record<string, string>,
): Promise<T> {
  try {
    return await (headers ? invoke<T>(command, args, { headers }) : invoke<T>(command, args));
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

/** "Lupa kata sandi?": an administrator's new password with the recovery key; signs them in. */
export const recover = (username: string, recoveryKey: string, newPassword: string) =>
  call<Account>('recover', { username, recoveryKey, newPassword });

/** One's own new password (with the current one), or an administrator's reset of another's. */
export const accountPassword = (username: string, current: string | null, password: string) =>
  call<null>('account_password', { username, current, password });

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

/** A case's letter (the notification of a suspected work accident, or the case summary) as a PDF
 *  in `folder`, in the desk's language (receptionists, nurses, administrators; audited). */
export const makeLetter = (caseId: string, kind: LetterKind, folder: string) =>
  call<LetterDone>('letter_make', { caseId, kind, folder });

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

// Daftar BPU (issue 11): its answer types are generated (bindings/BpuView, Contribution, ...).

export interface QuoteRequest {
  income: number;
  jht: boolean;
  months: number;
  occupation: string | null;
  startsOn: string | null;
}

export const registerBpu = (fields: Record<string, unknown>) => call<Saved>('bpu_register', { fields });
export const bpuCheck = (fields: Record<string, unknown>) => call<BpuCheck>('bpu_check', { fields });
export const bpuQuote = (request: QuoteRequest) => call<Contribution>('bpu_quote', { ...request });
export const bpuList = (search: string) => call<BpuView[]>('bpu_list', { search });
export const bpuShow = (id: string) => call<BpuView>('bpu_show', { id });
export const bpuMonthCount = () => call<number>('bpu_month_count');
export const bpuKnown = (nik: string) => call<KnownParticipant | null>('bpu_known', { nik });

// Case documents (issue 13): attach from a path (the file picker, or a file dropped on the
// window: Tauri's drop event gives paths) or from bytes (raw body; the case, kind and file name
// travel in headers), list, open (raw bytes, or a data: URL for an <img>), remove with a reason.

/** The kinds, in the order the form offers them. */
export const DOCUMENT_KINDS: DocumentKind[] = [
  'ktp',
  'kpj_card',
  'police_report',
  'employer_report_3kk1',
  'doctor_certificate_3bkk3',
  'receipt',
  'other',
];

export const documentAttach = (intakeId: string, kind: DocumentKind, path: string) =>
  call<DocumentView>('document_attach', { intakeId, kind, path });
export const documentAttachBytes = (intakeId: string, kind: DocumentKind, bytes: Uint8Array, fileName?: string) =>
  call<DocumentView>('document_attach_bytes', bytes, {
    'plkk-intake-id': intakeId,
    'plkk-kind': kind,
    ...(fileName ? { 'plkk-file-name': encodeURIComponent(fileName) } : {}),
  });
export const documentList = (intakeId: string) => call<DocumentView[]>('document_list', { intakeId });
/** The stored bytes (audited as opened). */
export const documentBytes = (id: string) => call<ArrayBuffer>('document_bytes', { id });
/** The document with its content as a data: URL, for a thumbnail or the full view (audited). */
export const documentDataUrl = (id: string) => call<DocumentData>('document_data_url', { id });
export const documentRemove = (id: string, reason: string) => call<DocumentView>('document_remove', { id, reason });

/** Calls `handler` with the paths of files dropped on the window (Tauri's drop event: the
 *  webview itself gets no HTML drop); answers the function that stops listening. */
export async function onFileDrop(handler: (paths: string[]) => void): Promise<() => void> {
  return getCurrentWebview().onDragDropEvent((event) => {
    if (event.payload.type === 'drop') handler(event.payload.paths);
  });
}
