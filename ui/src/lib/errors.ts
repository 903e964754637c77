// A refused command in words for the person at the desk: sign-in and account failures, a role that
// may not do something, a locked screen. Other failures show the desk's own message.
import type { Lang } from './api';
import { translate } from './i18n';
import type { Action } from './roles';

/** A CommandError, or the code and message a save status kept of one. */
export interface ErrorLike {
  code: string;
  message: string;
  wait_seconds?: number | null;
}

const PLAIN_CODES: ReadonlySet<string> = new Set([
  'signed_out',
  'locked',
  'wrong_credentials',
  'wrong_pin',
  'already_set_up',
  'weak_password',
  'bad_pin',
  'bad_username',
  'username_taken',
  'wrong_recovery_key',
  'not_admin',
  // Storage under the database (StoreError::code): said in words, both languages.
  'disk_full',
  'read_only',
  'database_locked',
  'damaged',
]);

/** "Peran Anda tidak diizinkan untuk mengoreksi data penerimaan." */
export function forbiddenText(lang: Lang, action?: Action): string {
  return action
    ? translate(lang, 'error.forbidden', { action: translate(lang, `forbidden.${action}`) })
    : translate(lang, 'error.forbidden_any');
}

/** The error in words; `action` names what was attempted, for a role's refusal. Null for codes this
 *  module has no words for (the caller shows the desk's message its own way). */
export function accessErrorText(lang: Lang, error: ErrorLike, action?: Action): string | null {
  if (error.code === 'forbidden') return forbiddenText(lang, action);
  if (error.code === 'locked_out') return translate(lang, 'error.locked_out', { n: error.wait_seconds ?? '?' });
  if (PLAIN_CODES.has(error.code)) return translate(lang, `error.${error.code}`);
  return null;
}

/** The error in words, falling back to the desk's message. */
export function commandErrorText(lang: Lang, error: ErrorLike, action?: Action): string {
  return accessErrorText(lang, error, action) ?? error.message;
}

export type CredentialField = 'username' | 'password' | 'pin';

/** The field of an account form a refusal is about, to show the message beside it. */
export function credentialField(code: string): CredentialField | null {
  switch (code) {
    case 'bad_username':
    case 'username_taken':
      return 'username';
    case 'weak_password':
      return 'password';
    case 'bad_pin':
      return 'pin';
    default:
      return null;
  }
}

/** Field messages of a refused account form, keyed by credential field: from a credential code,
 *  or from the issues of an `invalid` refusal (the desk names the field and the rule). Null when
 *  the refusal is about no field. */
export function credentialErrors(
  lang: Lang,
  error: ErrorLike & { issues?: { field: string; rule: string; message: string }[] },
): Partial<Record<CredentialField, string>> | null {
  const direct = credentialField(error.code);
  if (direct) return { [direct]: accessErrorText(lang, error) ?? error.message };
  const found: Partial<Record<CredentialField, string>> = {};
  for (const issue of error.issues ?? []) {
    const field = credentialField(issue.rule);
    if (field && !found[field]) found[field] = translate(lang, `error.${issue.rule}`);
  }
  return Object.keys(found).length > 0 ? found : null;
}

/** A screen-locked or signed-out refusal: the lock or sign-in screen takes over, nothing to show. */
export function isSessionError(error: { code: string }): boolean {
  return error.code === 'locked' || error.code === 'signed_out';
}

/** The passwords the setup and account forms check before asking the desk (which checks again). */
export const MIN_PASSWORD_LENGTH = 8;

export function validPin(pin: string): boolean {
  return /^\d{6}$/.test(pin);
}

/** A refused password or recovery form in words: an access code, else the first field issue the
 *  desk named with a rule this module has words for, else the desk's message. */
export function passwordRefusalText(
  lang: Lang,
  error: ErrorLike & { issues?: { field: string; rule: string; message: string }[] },
  action?: Action,
): string {
  const direct = accessErrorText(lang, error, action);
  if (direct) return direct;
  const issue = error.issues?.find((found) => PLAIN_CODES.has(found.rule));
  return issue ? translate(lang, `error.${issue.rule}`) : error.message;
}
