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
  | 'backup';

/** Whether `role` may perform `action`; nobody signed in may do nothing. */
export function can(role: Role | null | undefined, action: Action): boolean {
  if (!role) return false;
  switch (action) {
    case 'view':
    case 'sync_now':
    case 'print':
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
