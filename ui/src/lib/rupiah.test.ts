import { describe, expect, it } from 'vitest';
import { parseRupiah, rupiah } from './rupiah';

describe('rupiah', () => {
  it.each([
    [0, 'Rp0'],
    [800, 'Rp800'],
    [6800, 'Rp6.800'],
    [10000, 'Rp10.000'],
    [16800, 'Rp16.800'],
    [213800, 'Rp213.800'],
    [1500000, 'Rp1.500.000'],
    [-500, '-Rp500'],
  ])('%d is %s', (amount, text) => {
    expect(rupiah(amount)).toBe(text);
  });
});

describe('parseRupiah', () => {
  it.each([
    ['1500000', 1500000],
    ['1.500.000', 1500000],
    ['Rp 1.500.000', 1500000],
    [' 900000 ', 900000],
    ['', null],
    ['satu juta', null],
    ['1,5', null],
  ])('%s reads as %s', (text, amount) => {
    expect(parseRupiah(text)).toBe(amount);
  });
});
