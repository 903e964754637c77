// What each role may do, mirroring plkk_domain::Role::permits. The UI only hides what the desk
// would refuse anyway: the backend checks every command.
import type { Role } from './api';

export type Action =
  | 'view'
  | 'sync_now'
  | 'print'
  | 'admit'
  | 'correct_intake'
  | 'add_note'
  | 'manage_accounts'
  | 'enroll'
  | 'export'
  | 'read_audit'
  | 'change_settings'
  | 'register_bpu'
  | 'backup'
  | 'attach_document';

/** Whether `role` may perform `action`; nobody signed in may do nothing. */
export function can(role: Role | null | undefined, action: Action): boolean {
  if (!role) return false;
  switch (action) {
    case 'view':
    case 'sync_now':
    case 'print':
    case 'attach_document':
      // Which kinds: mayAttach.
      return true;
    case 'admit':
    case 'correct_intake':
    case 'register_bpu':
      return role === 'receptionist' || role === 'admin';
    case 'add_note':
      return role === 'nurse' || role === 'admin';
    default:
      return role === 'admin';
  }
}

/** Whether `role` may attach (and remove) a document of `kind`, mirroring
 * plkk_domain::DocumentKind::may_attach: receptionists and administrators any kind, nurses the
 * doctor's certificate (3b KK3) and `other`. */
export function mayAttach(role: Role | null | undefined, kind: string): boolean {
  if (!role) return false;
  if (role === 'nurse') return kind === 'doctor_certificate_3bkk3' || kind === 'other';
  return true;
}
