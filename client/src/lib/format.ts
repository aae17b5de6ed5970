import { formatCount } from './planned';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value: unknown): string {
  const d = parseDate(value);
  return d ? dateTime.format(d) : '—';
}

const weekdayTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

/** "14:05" today, "Tue 14:05" on another day. */
export function formatTime(value: Date, now: Date = new Date()): string {
  return value.toDateString() === now.toDateString() ? timeOnly.format(value) : weekdayTime.format(value);
}

/** "in 3 minutes", "2 hours ago", "now". */
export function formatRelative(value: unknown, now: Date = new Date()): string {
  const d = parseDate(value);
  if (!d) return '';
  const seconds = Math.round((d.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(0, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/**
 * How long ago: "12 seconds ago", "5 minutes ago", "2 hours ago" (formatRelative past a minute).
 * A time after `now` (another clock) counts as now.
 */
export function formatAgo(value: unknown, now: Date = new Date()): string {
  const d = parseDate(value);
  if (!d) return '';
  const seconds = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  if (seconds < 60) return relative.format(-seconds, 'second');
  return formatRelative(value, now);
}

/** A value to show in a table cell; unknown shapes become a short string. */
export function display(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value).slice(0, 80);
  } catch {
    return '—';
  }
}

/** "1 contact", "1,200 contacts"; `many` for a plural that is not the word and an s. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
