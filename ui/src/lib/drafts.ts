// Half-typed forms and the last screen, per signed-in person: when the screen locks and someone
// else signs in, they start empty and on their own screen; when the first person signs back in,
// their draft and screen come back. Drafts are also kept in the desk's encrypted database (through
// `persist`, a moment after the typing stops), never in localStorage, so a restart or a power cut
// loses nothing: `restore` reads them back when a person signs in.
import { draftClear, draftSave, draftsList } from './api';
import type { FormValues } from './forms';

/** The draft of the new-admission form. */
export const INTAKE_DRAFT = 'intake';

/** The draft of the note form of one case. */
export function noteDraftKey(caseId: string): string {
  return `note:${caseId}`;
}

export interface Drafts {
  /** A copy of the person's draft of a form, if any. */
  get(username: string, key: string): FormValues | undefined;
  set(username: string, key: string, values: FormValues): void;
  /** After a successful save, or when the form is started over. */
  clear(username: string, key: string): void;
  /** The hash of the screen the person was last on. */
  route(username: string): string | undefined;
  setRoute(username: string, href: string): void;
  /** Everything kept for one person. */
  forget(username: string): void;
  /** Everything kept for everybody. */
  clearAll(): void;
  /** Reads the person's drafts from the desk once (at sign-in); a draft already in memory wins. */
  restore(username: string): Promise<void>;
}

/** Where drafts are kept beyond the window (the desk's database), for the signed-in person. */
export interface DraftStorage {
  list(): Promise<{ form: string; values: FormValues }[]>;
  save(form: string, values: FormValues): Promise<unknown>;
  clear(form: string): Promise<unknown>;
}

/** How long typing must pause before a draft is written to the desk (milliseconds). */
export const PERSIST_DELAY_MS = 400;

interface PersonDrafts {
  forms: Map<string, FormValues>;
  route?: string;
}

export function createDrafts(storage?: DraftStorage): Drafts {
  const people = new Map<string, PersonDrafts>();
  const restored = new Set<string>();
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const warn = (error: unknown) => console.warn('a draft was not kept on the desk', error);
  const persist = (key: string, values: FormValues | null) => {
    if (!storage) return;
    const timer = pending.get(key);
    if (timer !== undefined) clearTimeout(timer);
    pending.delete(key);
    if (values === null) {
      storage.clear(key).catch(warn);
      return;
    }
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        storage.save(key, values).catch(warn);
      }, PERSIST_DELAY_MS),
    );
  };
  const person = (username: string) => {
    let found = people.get(username);
    if (!found) {
      found = { forms: new Map() };
      people.set(username, found);
    }
    return found;
  };

  return {
    get(username, key) {
      const values = people.get(username)?.forms.get(key);
      return values ? { ...values } : undefined;
    },
    set(username, key, values) {
      if (username === '') return;
      person(username).forms.set(key, { ...values });
      persist(key, { ...values });
    },
    clear(username, key) {
      people.get(username)?.forms.delete(key);
      persist(key, null);
    },
    route(username) {
      return people.get(username)?.route;
    },
    setRoute(username, href) {
      if (username === '') return;
      person(username).route = href;
    },
    forget(username) {
      people.delete(username);
    },
    clearAll() {
      people.clear();
      restored.clear();
    },
    async restore(username) {
      if (!storage || username === '' || restored.has(username)) return;
      const kept = await storage.list();
      restored.add(username);
      const forms = person(username).forms;
      for (const draft of kept) if (!forms.has(draft.form)) forms.set(draft.form, { ...draft.values });
    },
  };
}

/** The window's drafts, kept on the desk for whoever is signed in (the desk knows who). */
export const drafts = createDrafts({ list: draftsList, save: draftSave, clear: draftClear });
