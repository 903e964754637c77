// The state of a form's save, and how a failed command becomes one.
import { toCommandError, type Issue } from './api';
import { placeIssues, type FieldIssues } from './forms';
import type { MessageKey } from './i18n';
import type { Action } from './roles';

export type SaveStatus =
  | { kind: 'idle' }
  | { kind: 'saving' }
  | { kind: 'saved'; message: MessageKey; warnings: Issue[]; id: string }
  /** The backend rejected the input; `issues` are placed beside their fields. */
  | { kind: 'invalid'; issues: FieldIssues }
  /** `code` and `action` (what was attempted) let the status say why in words, e.g. that the role
   *  may not do it; `message` is the desk's own text for anything else. */
  | { kind: 'failed'; message: string; code?: string; action?: Action };

export const IDLE: SaveStatus = { kind: 'idle' };

const NO_ISSUES: FieldIssues = { errors: {}, warnings: {}, general: [] };

/** The issues to show beside the fields for a status. */
export function fieldIssues(status: SaveStatus): FieldIssues {
  return status.kind === 'invalid' ? status.issues : NO_ISSUES;
}

export function failure(rejection: unknown, formFields: readonly string[], action?: Action): SaveStatus {
  const error = toCommandError(rejection);
  if (error.code === 'invalid' && error.issues.length > 0) {
    return { kind: 'invalid', issues: placeIssues(error.issues, formFields) };
  }
  return { kind: 'failed', message: error.message, code: error.code, action };
}
