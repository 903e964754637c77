// Checking a form while it is typed (issue 9): each field is checked when the person leaves it,
// by the same rules as the save (the desk's intake_check / note_check), and its message goes as
// soon as the field is valid. A field shows its messages once it was typed into and left, or after
// a refused save; fields never reached stay quiet until then.
import type { Issue } from './api';
import { placeIssues, type FieldIssues } from './forms';

export const NO_ISSUES: FieldIssues = { errors: {}, warnings: {}, general: [] };

export interface FieldChecks {
  /** The person typed into (or chose in) this field. */
  typed(field: string): void;
  /** The focus left this field: from now on its messages show. */
  left(field: string): boolean;
  /** A save was refused: every field's messages show. */
  saveRefused(): void;
  /** Started over (after a save). */
  reset(): void;
  /** The issues to show, from the latest check of the whole form. */
  shown(latest: readonly Issue[]): FieldIssues;
}

export function createFieldChecks(formFields: readonly string[]): FieldChecks {
  const dirty = new Set<string>();
  const watched = new Set<string>();
  let everything = false;
  return {
    typed(field) {
      dirty.add(field);
    },
    left(field) {
      if (!dirty.has(field) || watched.has(field)) return false;
      watched.add(field);
      return true;
    },
    saveRefused() {
      everything = true;
    },
    reset() {
      dirty.clear();
      watched.clear();
      everything = false;
    },
    shown(latest) {
      const visible = latest.filter((issue) => everything || watched.has(issue.field) || !formFields.includes(issue.field));
      return placeIssues(visible, formFields);
    },
  };
}

/** How many fields need attention (have an error). */
export function fieldsToFix(issues: FieldIssues): number {
  return Object.keys(issues.errors).length;
}

/** A mouse button is held down in the window (between pointerdown and pointerup). */
let pointerHeld = false;
if (typeof window !== 'undefined') {
  window.addEventListener('pointerdown', () => (pointerHeld = true), true);
  window.addEventListener('pointerup', () => (pointerHeld = false), true);
}

/** Runs `action` now, or once the mouse button being held is released: a message appearing under
 *  the field just left, in the middle of a click on the next one, would move what was clicked
 *  away from the pointer. */
export function afterPointerUp(action: () => void): void {
  if (!pointerHeld) {
    action();
    return;
  }
  window.addEventListener('pointerup', () => setTimeout(action, 0), { once: true });
}
