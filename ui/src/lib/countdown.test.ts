import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import { createCountdown } from './countdown';

describe('createCountdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts down once a second to zero, then stops', () => {
    const onDone = vi.fn();
    const countdown = createCountdown(onDone);
    const seen: number[] = [];
    const unsubscribe = countdown.subscribe((left) => seen.push(left));
    countdown.start(3);
    expect(get(countdown)).toBe(3);
    vi.advanceTimersByTime(1000);
    expect(get(countdown)).toBe(2);
    expect(onDone).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    expect(get(countdown)).toBe(0);
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(seen.filter((n, i) => seen.indexOf(n) === i)).toEqual([0, 3, 2, 1]);
    unsubscribe();
  });

  it('restarts with a new wait and stops on demand', () => {
    const onDone = vi.fn();
    const countdown = createCountdown(onDone);
    const unsubscribe = countdown.subscribe(() => {});
    countdown.start(10);
    vi.advanceTimersByTime(4000);
    countdown.start(30);
    expect(get(countdown)).toBe(30);
    countdown.stop();
    expect(get(countdown)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onDone).not.toHaveBeenCalled();
    unsubscribe();
  });

  it('stops its timer when nobody listens any more', () => {
    const countdown = createCountdown();
    const unsubscribe = countdown.subscribe(() => {});
    countdown.start(60);
    unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
  });
});
