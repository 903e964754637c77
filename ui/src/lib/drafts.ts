// Half-typed forms and the last screen, per signed-in person, kept in memory only: when the screen
// locks and someone else signs in, they start empty and on their own screen; when the first person
// signs back in, their draft and screen come back. Never written to disk or localStorage (health
// data): the drafts die with the window.
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
}

interface PersonDrafts {
  forms: Map<string, FormValues>;
  route?: string;
}

export function createDrafts(): Drafts {
  const people = new Map<string, PersonDrafts>();
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
    },
    clear(username, key) {
      people.get(username)?.forms.delete(key);
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
    },
  };
}

/** The window's drafts. */
export const drafts = createDrafts();
