// Small DOM behaviours shared by the forms and the case list.

/** Enter in an input or select submits the form; in a textarea Ctrl+Enter does. */
export function enterSubmits(form: HTMLFormElement) {
  const onKeydown = (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || event.isComposing) return;
    const target = event.target;
    const isField = target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
    const isTextareaSubmit = target instanceof HTMLTextAreaElement && (event.ctrlKey || event.metaKey);
    if (!isField && !isTextareaSubmit) return;
    event.preventDefault();
    form.requestSubmit();
  };
  form.addEventListener('keydown', onKeydown);
  return { destroy: () => form.removeEventListener('keydown', onKeydown) };
}

/** Escape anywhere inside the node calls `handler` (e.g. to cancel a form). */
export function escapeCalls(node: HTMLElement, handler: () => void) {
  let current = handler;
  const onKeydown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') current();
  };
  node.addEventListener('keydown', onKeydown);
  return {
    update: (next: () => void) => (current = next),
    destroy: () => node.removeEventListener('keydown', onKeydown),
  };
}

/** A mouse click anywhere on a table row follows the row's link; the link itself stays the
 *  keyboard path (Tab to it, Enter opens). */
export function rowLink(row: HTMLElement, href: string) {
  let target = href;
  const onClick = (event: MouseEvent) => {
    if ((event.target as HTMLElement).closest('a, button, input, select, textarea')) return;
    location.hash = target;
  };
  row.addEventListener('click', onClick);
  return {
    update: (next: string) => (target = next),
    destroy: () => row.removeEventListener('click', onClick),
  };
}

/** Focus a form's first control. */
export function focusFirstField(form: HTMLElement) {
  form.querySelector<HTMLElement>('input:not([type="hidden"]), select, textarea')?.focus();
}

/** Focus the first control a failed save marked invalid. */
export function focusFirstInvalid(form: HTMLElement) {
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
