import { useEffect, useState } from 'react';

/**
 * `value` once it has stopped changing for `delay` ms; `key` tells when it changed (a fresh object
 * with the same key is the same value). The first value is taken at once.
 */
export function useDebounced<T>(value: T, key: string, delay: number): T {
  const [settled, setSettled] = useState({ value, key });
  useEffect(() => {
    if (key === settled.key) return;
    const timer = window.setTimeout(() => setSettled({ value, key }), delay);
    return () => window.clearTimeout(timer);
    // `value` changes whenever `key` does.
  }, [key, delay, settled.key]);
  return settled.value;
}

/** The time now, updated every `every` ms (so a page's "past" and "future" move on by themselves). */
export function useNow(every = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), every);
    return () => window.clearInterval(timer);
  }, [every]);
  return now;
}
