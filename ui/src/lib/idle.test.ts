import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleTimer } from './idle';

describe('startIdleTimer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls back once after the idle time', () => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    startIdleTimer(target, 5, onIdle);
    vi.advanceTimersByTime(5 * 60_000 - 1);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('starts over on every key, click, pointer move or wheel', () => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    startIdleTimer(target, 1, onIdle);
    for (const type of ['keydown', 'mousedown', 'pointermove', 'wheel']) {
      vi.advanceTimersByTime(50_000);
      target.dispatchEvent(new Event(type));
    }
    vi.advanceTimersByTime(59_000);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does nothing once stopped', () => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    const stop = startIdleTimer(target, 1, onIdle);
    stop();
    vi.advanceTimersByTime(10 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
