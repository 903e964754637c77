import { describe, expect, it } from 'vitest';
import { formatBytes } from './bytes';

describe('formatBytes', () => {
  it.each([
    [512, 'id', '512 B'],
    [312_400, 'id', '312 kB'],
    [5_140_000, 'id', '5,1 MB'],
    [5_140_000, 'en', '5.1 MB'],
    [10_000_000, 'en', '10 MB'],
  ] as const)('%d bytes in %s is %s', (bytes, lang, expected) => {
    expect(formatBytes(bytes, lang)).toBe(expected);
  });
});
