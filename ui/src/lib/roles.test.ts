import { describe, expect, it } from 'vitest';
import { can, mayAttach, type Action } from './roles';

describe('can', () => {
  it('follows the access matrix of the domain crate', () => {
    const allowed = (action: Action) => (['receptionist', 'nurse', 'admin'] as const).filter((role) => can(role, action));
    expect(allowed('view')).toEqual(['receptionist', 'nurse', 'admin']);
    expect(allowed('print')).toEqual(['receptionist', 'nurse', 'admin']);
    expect(allowed('admit')).toEqual(['receptionist', 'admin']);
    expect(allowed('correct_intake')).toEqual(['receptionist', 'admin']);
    expect(allowed('add_note')).toEqual(['nurse', 'admin']);
    expect(allowed('register_bpu')).toEqual(['receptionist', 'admin']);
    expect(allowed('attach_document')).toEqual(['receptionist', 'nurse', 'admin']);
    for (const action of ['manage_accounts', 'enroll', 'export', 'read_audit', 'change_settings', 'backup'] as const) {
      expect(allowed(action), action).toEqual(['admin']);
    }
  });

  it('lets nurses attach only the doctor\'s certificate and other documents', () => {
    const kinds = ['ktp', 'kpj_card', 'police_report', 'employer_report_3kk1', 'doctor_certificate_3bkk3', 'receipt', 'other'];
    expect(kinds.filter((kind) => mayAttach('nurse', kind))).toEqual(['doctor_certificate_3bkk3', 'other']);
    expect(kinds.filter((kind) => mayAttach('receptionist', kind))).toEqual(kinds);
    expect(mayAttach(null, 'other')).toBe(false);
  });

  it('allows nothing when nobody is signed in', () => {
    expect(can(null, 'view')).toBe(false);
    expect(can(undefined, 'print')).toBe(false);
  });
});
