// Pure helpers of the admin screen: the export's default dates and the audit log in words.
import type { Lang } from './api';
import { toLocalInput } from './datetime';
import { translate } from './i18n';

/** The current month at the desk's offset: its first and last day, YYYY-MM-DD. */
export function monthRange(now: number, offset: string): { from: string; to: string } {
  const today = toLocalInput(now, offset).slice(0, 10);
  const [year, month] = today.split('-').map(Number);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const prefix = today.slice(0, 8);
  return { from: `${prefix}01`, to: `${prefix}${String(lastDay).padStart(2, '0')}` };
}

/** A YYYY-MM-DD date that exists. */
export function validDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return date.getUTCFullYear() === +match[1] && date.getUTCMonth() === +match[2] - 1 && date.getUTCDate() === +match[3];
}

/** An audit action in words ("Masuk", "Membuka kasus"); the code itself when unknown here. */
export function auditActionLabel(lang: Lang, action: string): string {
  const key = `audit.action.${action}`;
  const label = translate(lang, key);
  return label === key ? action : label;
}

/** The first break of the chain in words. */
export function chainBreakText(lang: Lang, brk: { seq: number; kind: string; message: string }): string {
  const kindKey = `audit.break.${brk.kind}`;
  const kind = translate(lang, kindKey);
  return translate(lang, 'audit.broken', {
    seq: brk.seq,
    kind: kind === kindKey ? brk.kind : kind,
    message: brk.message,
  });
}

