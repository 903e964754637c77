import { describe, expect, it } from 'vitest';
import { toCommandError } from './api';

describe('toCommandError', () => {
  it('keeps the code, message and issues of a command rejection', () => {
    const issues = [{ field: 'nik', rule: 'nik_format', severity: 'error', message: 'nik: 16 digits' }];
    const error = toCommandError({ code: 'invalid', message: 'invalid input', issues });
    expect([error.code, error.message, error.issues]).toEqual(['invalid', 'invalid input', issues]);
  });

  it('makes anything else an unexpected error with its text', () => {
    expect(toCommandError('window.__TAURI_INTERNALS__ is undefined')).toMatchObject({
      code: 'unexpected',
      message: 'window.__TAURI_INTERNALS__ is undefined',
      issues: [],
    });
    expect(toCommandError({ code: 'weird', message: 'x' }).code).toBe('unexpected');
  });
});

describe('sign-in refusals', () => {
  it('keeps the wait of a lock-out', () => {
    const error = toCommandError({ code: 'locked_out', message: 'locked out', issues: [], wait_seconds: 30 });
    expect([error.code, error.wait_seconds]).toEqual(['locked_out', 30]);
    expect(toCommandError({ code: 'wrong_credentials', message: 'x', wait_seconds: null }).wait_seconds).toBeNull();
  });

  it('knows the access codes of the contract', () => {
    for (const code of ['signed_out', 'locked', 'forbidden', 'wrong_credentials', 'wrong_pin', 'already_set_up', 'weak_password', 'bad_pin', 'bad_username', 'username_taken']) {
      expect(toCommandError({ code, message: 'x' }).code).toBe(code);
    }
  });
});
