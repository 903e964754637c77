// The idle lock: after `minutes` without a key, click, pointer move or wheel, `onIdle` is called once.
export const ACTIVITY_EVENTS = ['keydown', 'mousedown', 'pointermove', 'wheel'] as const;

/** Starts watching `target` (the window); returns the function that stops watching. */
export function startIdleTimer(target: EventTarget, minutes: number, onIdle: () => void): () => void {
  const limit = Math.max(1, minutes) * 60_000;
  let lastActivity = Date.now();
  let timer: ReturnType<typeof setTimeout> | null = null;

  // Activity only notes the time (pointermove is frequent); the timer checks when it fires.
  const onActivity = () => {
    lastActivity = Date.now();
  };
  const check = () => {
    const idleFor = Date.now() - lastActivity;
    if (idleFor >= limit) {
      stop();
      onIdle();
    } else {
      timer = setTimeout(check, limit - idleFor);
    }
  };
  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, onActivity, true);
  };

  for (const type of ACTIVITY_EVENTS) target.addEventListener(type, onActivity, { capture: true, passive: true });
  timer = setTimeout(check, limit);
  return stop;
}
