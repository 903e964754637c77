import { describe, expect, it } from 'vitest';
import { accessErrorText, commandErrorText, credentialField, isSessionError, validPin } from './errors';

describe('commandErrorText', () => {
  it('names wrong credentials and the lock-out wait in plain words', () => {
    expect(commandErrorText('id', { code: 'wrong_credentials', message: 'x' })).toBe('Nama pengguna atau kata sandi salah');
    expect(commandErrorText('id', { code: 'locked_out', message: 'x', wait_seconds: 42 })).toBe(
      'Terlalu banyak percobaan gagal. Coba lagi dalam 42 detik',
    );
    expect(commandErrorText('en', { code: 'wrong_pin', message: 'x' })).toBe('Wrong PIN');
  });

  it('says which action the role may not do', () => {
    expect(commandErrorText('id', { code: 'forbidden', message: 'a nurse may not correct intake fields' }, 'correct_intake')).toBe(
      'Peran Anda tidak diizinkan untuk mengoreksi data penerimaan.',
    );
    expect(commandErrorText('id', { code: 'forbidden', message: 'x' })).toBe(
      'Peran Anda tidak diizinkan untuk melakukan tindakan ini.',
    );
  });

  it('shows the desk message for other failures', () => {
    expect(commandErrorText('id', { code: 'store', message: 'disk full' })).toBe('disk full');
    expect(accessErrorText('id', { code: 'store', message: 'disk full' })).toBeNull();
  });
});

describe('credentialField', () => {
  it('places account refusals beside their field', () => {
    expect(credentialField('bad_username')).toBe('username');
    expect(credentialField('username_taken')).toBe('username');
    expect(credentialField('weak_password')).toBe('password');
    expect(credentialField('bad_pin')).toBe('pin');
    expect(credentialField('store')).toBeNull();
  });
});

describe('small checks', () => {
  it('knows session losses and PINs', () => {
    expect(isSessionError({ code: 'locked' })).toBe(true);
    expect(isSessionError({ code: 'signed_out' })).toBe(true);
    expect(isSessionError({ code: 'forbidden' })).toBe(false);
    expect(validPin('123456')).toBe(true);
    expect(validPin('12345')).toBe(false);
    expect(validPin('12345a')).toBe(false);
  });
});
