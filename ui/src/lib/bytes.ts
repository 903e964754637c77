// Sizes of files as people read them: bytes, kB and MB in powers of 1,000 (the limits are
// stated that way: a stored document is at most 10,000,000 bytes), with the language's decimal
// mark (5,1 MB in Indonesian, 5.1 MB in English).
import type { Lang } from './api';

export function formatBytes(bytes: number, lang: Lang): string {
  const locale = lang === 'id' ? 'id-ID' : 'en-GB';
  if (bytes < 1_000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1_000)} kB`;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1, useGrouping: false });
  return `${number.format(bytes / 1_000_000)} MB`;
}
