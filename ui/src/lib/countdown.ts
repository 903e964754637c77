// A live "try again in N seconds" after too many failed sign-ins: counts down to zero once a second.
import { readable, writable, type Readable } from 'svelte/store';

export interface Countdown extends Readable<number> {
  /** Starts (or restarts) counting down from `seconds`. */
  start(seconds: number): void;
  stop(): void;
}

/** `onDone` is called when the count reaches zero by itself (not on stop()). */
export function createCountdown(onDone?: () => void): Countdown {
  const left = writable(0);
  let until = 0;
  let timer: ReturnType<typeof setInterval> | null = null;

  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    left.set(0);
  };
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    if (seconds > 0) {
      left.set(seconds);
    } else {
      stop();
      onDone?.();
    }
  };

  // Stops the timer when the last subscriber (the form) goes away.
  const store = readable(0, (set) => {
    const unsubscribe = left.subscribe(set);
    return () => {
      unsubscribe();
      stop();
    };
  });

  return {
    subscribe: store.subscribe,
    start(seconds) {
      if (timer !== null) clearInterval(timer);
      until = Date.now() + Math.max(0, seconds) * 1000;
      timer = setInterval(tick, 250);
      tick();
    },
    stop,
  };
}
