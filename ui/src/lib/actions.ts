// Small DOM behaviours shared by the forms and the case list.

/** The fields of a form a person moves through, in order: one stop per radio group (its checked
 *  button, else its first), no buttons, nothing hidden or out of the tab order. `byEnter` leaves
 *  out the fields marked `data-enter-skip` (filled from an offer the person took, or not applying
 *  to this case): Enter goes to the next field that needs the person, Tab still visits all. */
export function fieldStops(form: HTMLElement, byEnter = false): HTMLElement[] {
  const stops: HTMLElement[] = [];
  const groups = new Set<string>();
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(
    'input, textarea, select',
  )) {
    if (control.disabled || control.tabIndex < 0 || control.type === 'hidden') continue;
    if (control.closest('[hidden], [inert]') || control.getClientRects().length === 0) continue;
    if (byEnter && control.hasAttribute('data-enter-skip')) continue;
    if (control instanceof HTMLInputElement && control.type === 'radio') {
      if (groups.has(control.name)) continue;
      groups.add(control.name);
      const checked = form.querySelector<HTMLInputElement>(`input[type="radio"][name="${control.name}"]:checked`);
      stops.push(checked ?? control);
      continue;
    }
    stops.push(control);
  }
  return stops;
}

/** The keys of a form (issue 9): Enter moves to the next field (in a long text box it is a new
 *  line) and saves from the last one; Ctrl+Enter saves from anywhere. An Enter that takes the offer
 *  chosen under a field (the field names it in aria-activedescendant) is the field's own. */
export function formKeys(form: HTMLFormElement) {
  const onKeydown = (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || event.isComposing || event.defaultPrevented) return;
    const target = event.target;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.altKey || event.shiftKey) return;
    if (target instanceof HTMLElement && target.hasAttribute('aria-activedescendant')) return;
    const isField = target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
    if (!isField || (target instanceof HTMLInputElement && ['button', 'submit', 'file'].includes(target.type))) return;
    event.preventDefault();
    if (!focusNextField(form, target)) form.requestSubmit();
  };
  form.addEventListener('keydown', onKeydown);
  return { destroy: () => form.removeEventListener('keydown', onKeydown) };
}

/** Moves the focus from `from` to the next field Enter goes to; false when `from` is the last. */
export function focusNextField(form: HTMLElement, from: HTMLElement): boolean {
  const stops = fieldStops(form, true);
  const all = fieldStops(form);
  const isFrom = (stop: HTMLElement) =>
    stop === from ||
    (from instanceof HTMLInputElement &&
      from.type === 'radio' &&
      stop instanceof HTMLInputElement &&
      stop.type === 'radio' &&
      stop.name === from.name);
  // Where `from` is in the full order, and the first Enter stop after it.
  const position = all.findIndex(isFrom);
  if (position === -1) return false;
  const next = all.slice(position + 1).find((stop) => stops.includes(stop));
  if (!next) return false;
  next.focus();
  return true;
}

/** The short forms (sign-in, setup, accounts, enrolment, export): Enter in a field submits; in
 *  a text box Ctrl+Enter does. */
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

/** Room kept between a focused field and the sticky save bar or the top of the scrolled area. */
const VISIBLE_MARGIN_PX = 12;

/** Keeps the field that has the focus (with its label, hint and messages) fully in view inside
 *  the scrolling area: never under the form's sticky save bar, never above the top. */
export function keepFocusVisible(form: HTMLElement) {
  const reveal = (target: HTMLElement) => {
    const scroller = form.closest<HTMLElement>('.scroll');
    if (!scroller) return;
    const field = target.closest<HTMLElement>('.field') ?? target;
    const bar = form.querySelector<HTMLElement>('.form-actions');
    const area = scroller.getBoundingClientRect();
    const fieldBox = field.getBoundingClientRect();
    // Offers shown over what follows count as part of the field.
    const offersBox = field.querySelector('ul.offers')?.getBoundingClientRect();
    const box = {
      top: fieldBox.top,
      bottom: Math.max(fieldBox.bottom, offersBox?.bottom ?? fieldBox.bottom),
      height: Math.max(fieldBox.bottom, offersBox?.bottom ?? fieldBox.bottom) - fieldBox.top,
    };
    const barTop = bar && !bar.contains(target) ? bar.getBoundingClientRect().top : area.bottom;
    const bottomLimit = Math.min(area.bottom, barTop) - VISIBLE_MARGIN_PX;
    const topLimit = area.top + VISIBLE_MARGIN_PX;
    if (box.bottom > bottomLimit && box.height < bottomLimit - topLimit) {
      scroller.scrollTop += box.bottom - bottomLimit;
    } else if (box.top < topLimit || box.height >= bottomLimit - topLimit) {
      scroller.scrollTop -= topLimit - box.top;
    }
  };
  // A focused field that grows (an error or offers appear under it) is revealed again.
  let watched: HTMLElement | null = null;
  const growth = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
    const focused = document.activeElement;
    if (focused instanceof HTMLElement && form.contains(focused)) reveal(focused);
  });
  const onFocusin = (event: FocusEvent) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;
    const field = target.closest<HTMLElement>('.field');
    if (growth && field !== watched) {
      if (watched) growth.unobserve(watched);
      if (field) growth.observe(field);
      watched = field;
    }
    // After the web view's own scrolling for the focus, which ignores the sticky bar (and once
    // more a moment later: WebKit may scroll for a focus set by a script after the next frame,
    // unless the person scrolled meanwhile).
    const scroller = form.closest<HTMLElement>('.scroll');
    let settled: number | null = null;
    requestAnimationFrame(() => {
      if (document.activeElement !== target) return;
      reveal(target);
      settled = scroller?.scrollTop ?? null;
    });
    setTimeout(() => {
      const untouched = settled === null || scroller?.scrollTop === settled;
      if (document.activeElement === target && untouched) reveal(target);
    }, 80);
  };
  // A field asks to be shown again (its offers appeared over what follows).
  const onReveal = (event: Event) => {
    if (event.target instanceof HTMLElement) reveal(event.target);
  };
  form.addEventListener('focusin', onFocusin);
  form.addEventListener('reveal', onReveal);
  return {
    destroy: () => {
      form.removeEventListener('focusin', onFocusin);
      form.removeEventListener('reveal', onReveal);
      growth?.disconnect();
    },
  };
}

/** Escape anywhere inside the node calls `handler` (e.g. to cancel a form). */
export function escapeCalls(node: HTMLElement, handler: () => void) {
  let current = handler;
  const onKeydown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && !event.defaultPrevented) current();
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

/** Focus a form's first field. */
export function focusFirstField(form: HTMLElement) {
  fieldStops(form)[0]?.focus();
}

/** Focus the first field a check or a refused save marked invalid. */
export function focusFirstInvalid(form: HTMLElement) {
  const marked = form.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (!marked) return;
  const inside = marked.matches('input, textarea, select') ? marked : fieldStops(marked)[0];
  inside?.focus();
}
