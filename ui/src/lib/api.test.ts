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
