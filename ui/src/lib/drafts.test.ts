import { describe, expect, it, vi } from 'vitest';
import { INTAKE_DRAFT, PERSIST_DELAY_MS, createDrafts, noteDraftKey } from './drafts';

describe('drafts', () => {
  it('keeps each person their own draft', () => {
    const drafts = createDrafts();
    drafts.set('siti', INTAKE_DRAFT, { full_name: 'Budi', nik: '3201' });
    expect(drafts.get('siti', INTAKE_DRAFT)).toEqual({ full_name: 'Budi', nik: '3201' });
    expect(drafts.get('ani', INTAKE_DRAFT)).toBeUndefined();
    drafts.set('ani', INTAKE_DRAFT, { full_name: 'Joko' });
    expect(drafts.get('siti', INTAKE_DRAFT)?.full_name).toBe('Budi');
    expect(drafts.get('ani', INTAKE_DRAFT)?.full_name).toBe('Joko');
  });

  it('keeps note drafts per case', () => {
    const drafts = createDrafts();
    drafts.set('ani', noteDraftKey('case-1'), { text: 'nyeri' });
    expect(drafts.get('ani', noteDraftKey('case-1'))).toEqual({ text: 'nyeri' });
    expect(drafts.get('ani', noteDraftKey('case-2'))).toBeUndefined();
  });

  it('stores copies, so later typing does not reach a stored draft unnoticed', () => {
    const drafts = createDrafts();
    const values = { full_name: 'Budi' };
    drafts.set('siti', INTAKE_DRAFT, values);
    values.full_name = 'changed';
    const read = drafts.get('siti', INTAKE_DRAFT)!;
    read.full_name = 'changed too';
    expect(drafts.get('siti', INTAKE_DRAFT)).toEqual({ full_name: 'Budi' });
  });

  it('forgets a draft once saved', () => {
    const drafts = createDrafts();
    drafts.set('siti', INTAKE_DRAFT, { full_name: 'Budi' });
    drafts.set('siti', noteDraftKey('c'), { text: 'x' });
    drafts.clear('siti', INTAKE_DRAFT);
    expect(drafts.get('siti', INTAKE_DRAFT)).toBeUndefined();
    expect(drafts.get('siti', noteDraftKey('c'))).toEqual({ text: 'x' });
  });

  it('remembers each person their last screen', () => {
    const drafts = createDrafts();
    expect(drafts.route('siti')).toBeUndefined();
    drafts.setRoute('siti', '#/new');
    drafts.setRoute('ani', '#/case/abc');
    expect(drafts.route('siti')).toBe('#/new');
    expect(drafts.route('ani')).toBe('#/case/abc');
  });

  it('forgets one person, or everybody', () => {
    const drafts = createDrafts();
    drafts.set('siti', INTAKE_DRAFT, { full_name: 'Budi' });
    drafts.setRoute('siti', '#/new');
    drafts.set('ani', INTAKE_DRAFT, { full_name: 'Joko' });
    drafts.forget('siti');
    expect(drafts.get('siti', INTAKE_DRAFT)).toBeUndefined();
    expect(drafts.route('siti')).toBeUndefined();
    expect(drafts.get('ani', INTAKE_DRAFT)).toEqual({ full_name: 'Joko' });
    drafts.clearAll();
    expect(drafts.get('ani', INTAKE_DRAFT)).toBeUndefined();
  });

  it('keeps nothing for nobody', () => {
    const drafts = createDrafts();
    drafts.set('', INTAKE_DRAFT, { full_name: 'Budi' });
    drafts.setRoute('', '#/new');
    expect(drafts.get('', INTAKE_DRAFT)).toBeUndefined();
    expect(drafts.route('')).toBeUndefined();
  });
});

describe('drafts kept on the desk', () => {
  function fakeDesk(kept: { form: string; values: Record<string, string> }[] = []) {
    const calls: string[] = [];
    return {
      calls,
      storage: {
        list: async () => kept,
        save: async (form: string, values: Record<string, string>) => calls.push(`save ${form} ${JSON.stringify(values)}`),
        clear: async (form: string) => calls.push(`clear ${form}`),
      },
    };
  }

  it('writes a draft once typing pauses, with the last values only', async () => {
    vi.useFakeTimers();
    const desk = fakeDesk();
    const drafts = createDrafts(desk.storage);
    drafts.set('siti', INTAKE_DRAFT, { full_name: 'B' });
    drafts.set('siti', INTAKE_DRAFT, { full_name: 'Budi' });
    expect(desk.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(PERSIST_DELAY_MS);
    expect(desk.calls).toEqual(['save intake {"full_name":"Budi"}']);
    vi.useRealTimers();
  });

  it('a save clears the kept draft and cancels one waiting to be written', async () => {
    vi.useFakeTimers();
    const desk = fakeDesk();
    const drafts = createDrafts(desk.storage);
    drafts.set('siti', INTAKE_DRAFT, { full_name: 'Budi' });
    drafts.clear('siti', INTAKE_DRAFT);
    await vi.advanceTimersByTimeAsync(PERSIST_DELAY_MS * 2);
    expect(desk.calls).toEqual(['clear intake']);
    vi.useRealTimers();
  });

  it('restores the drafts kept on the desk after a restart; what is in memory wins', async () => {
    const desk = fakeDesk([
      { form: INTAKE_DRAFT, values: { full_name: 'Budi' } },
      { form: noteDraftKey('case-1'), values: { text: 'nyeri' } },
    ]);
    const drafts = createDrafts(desk.storage);
    drafts.set('ani', noteDraftKey('case-1'), { text: 'nyeri lengan' });
    await drafts.restore('ani');
    expect(drafts.get('ani', INTAKE_DRAFT)).toEqual({ full_name: 'Budi' });
    expect(drafts.get('ani', noteDraftKey('case-1'))).toEqual({ text: 'nyeri lengan' });
  });
});
