// Whole Rupiah as an Indonesian reader writes them: `Rp16.800` (points between thousands, no
// decimals, no space), in both languages of the UI, as on BPJS Ketenagakerjaan's own material.

/** `Rp16.800` for 16800; negative amounts keep their sign (`-Rp500`). */
export function rupiah(amount: number): string {
  const whole = Math.round(Math.abs(amount));
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${amount < 0 ? '-' : ''}Rp${grouped}`;
}

/** The whole Rupiah typed in a field ("1.500.000", "1500000", "Rp 1.500.000"), or null. */
export function parseRupiah(text: string): number | null {
  const digits = text.replace(/^\s*Rp\s*/i, '').replace(/[.\s]/g, '');
  if (!/^\d{1,13}$/.test(digits)) return null;
  return Number(digits);
}
