import type { Frequency, PreviewBucket } from '../api/types';
import { plural } from './format';
import { formatDateInZone, formatDayInZone, formatInZone } from './planned';

/**
 * The record frequencies. `label` is the server's name for one ("Every hour"), which reads as one
 * contact an hour; what users are shown is `period` and the schedule it makes (scheduleSummary).
 */
export const FREQUENCIES: readonly { value: Frequency; label: string; period: string; minutes: number }[] = [
  { value: '1h', label: 'Every hour', period: '1 hour', minutes: 60 },
  { value: '4hrs', label: 'Every 4 hours', period: '4 hours', minutes: 240 },
  { value: '1day', label: 'Every day', period: '1 day', minutes: 1440 },
  { value: '1wk', label: 'Every week', period: '1 week', minutes: 10080 },
  { value: '1mo', label: 'Every month', period: '1 month', minutes: 43200 },
];

export const DEFAULT_FREQUENCY: Frequency = '1h';
export const JOBS_PER_SIMULATION = 5;

export function isFrequency(value: string): value is Frequency {
  return FREQUENCIES.some((f) => f.value === value);
}

export function frequencyLabel(value: string): string {
  return FREQUENCIES.find((f) => f.value === value)?.label ?? value;
}

/** "1 hour", "4 hours", ...; an unknown value as it is. */
export function frequencyPeriod(value: string): string {
  return FREQUENCIES.find((f) => f.value === value)?.period ?? value;
}

/** Minutes between two jobs: floor(minutes / 4 / 5), as the server schedules them. */
export function intervalMinutes(frequency: Frequency): number {
  const minutes = FREQUENCIES.find((f) => f.value === frequency)?.minutes ?? 60;
  return Math.floor(minutes / 4 / JOBS_PER_SIMULATION);
}

/** Minutes after creation at which each of the 5 jobs is due (job 0 at once). */
export function scheduleOffsets(frequency: Frequency): number[] {
  const step = intervalMinutes(frequency);
  return Array.from({ length: JOBS_PER_SIMULATION }, (_, i) => i * step);
}

export function scheduleTimes(frequency: Frequency, now: Date): Date[] {
  return scheduleOffsets(frequency).map((m) => new Date(now.getTime() + m * 60_000));
}

/** 2016 -> "1 day 9 hours 36 minutes"; 0 -> "0 minutes". */
export function humanizeMinutes(total: number): string {
  const minutes = Math.max(0, Math.round(total));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts: string[] = [];
  if (days) parts.push(plural(days, 'day'));
  if (hours) parts.push(plural(hours, 'hour'));
  if (mins || parts.length === 0) parts.push(plural(mins, 'minute'));
  return parts.join(' ');
}

/** The headline of the preview: "5 contacts over the next 12 minutes". */
export function previewSummary(frequency: Frequency): string {
  const offsets = scheduleOffsets(frequency);
  const last = offsets[offsets.length - 1] ?? 0;
  return `${plural(offsets.length, 'contact')} over the next ${humanizeMinutes(last)}`;
}

/** The detail line: "The first arrives right away, then one every 3 minutes." */
export function previewCadence(frequency: Frequency): string {
  return `The first arrives right away, then one every ${humanizeMinutes(intervalMinutes(frequency))}.`;
}

/** How long the 5 jobs take, first to last: "12 minutes" for 1h. */
export function scheduleSpan(frequency: Frequency): string {
  const offsets = scheduleOffsets(frequency);
  return humanizeMinutes(offsets[offsets.length - 1] ?? 0);
}

/** What a simulation does, in plain words: "5 contacts over 12 minutes, then it stops". */
export function scheduleSummary(frequency: string): string {
  if (!isFrequency(frequency)) return `Record frequency ${frequency}`;
  return `${plural(JOBS_PER_SIMULATION, 'contact')} over ${scheduleSpan(frequency)}, then it stops`;
}

/** The choice in the new-simulation form: "1 hour: 5 contacts over 12 minutes". */
export function frequencyOptionLabel(frequency: Frequency): string {
  return `${frequencyPeriod(frequency)}: ${plural(JOBS_PER_SIMULATION, 'contact')} over ${scheduleSpan(frequency)}`;
}

// ---- the schedule chart -----------------------------------------------------------------------

/** How a simulation's schedule is cut for its chart: whole hours, days or weeks of its zone (null: equal slices). */
export type BucketUnit = 'hour' | 'day' | 'week';

export interface ChartSeries {
  /** Each bucket's middle, in seconds since the epoch (uPlot's time axis). */
  x: number[];
  /** Each bucket's records in all (drawn first, in the lighter colour, when `created` is known). */
  planned: number[];
  /** How many of each bucket's records exist (drawn over `planned`); null without a count of created records. */
  created: number[] | null;
  /** The first start and the last end, in seconds. */
  range: [number, number];
}

/**
 * How many of each bucket's records exist, when `created` records of the schedule do. The worker
 * makes records in the order of their instants, so the first `created` of the schedule are the
 * ones made: whole buckets first, then part of the next.
 */
export function createdPerBucket(buckets: readonly PreviewBucket[], created: number): number[] {
  let left = Math.max(0, created);
  return buckets.map((bucket) => {
    const made = Math.min(bucket.count, left);
    left -= made;
    return made;
  });
}

/** The buckets as uPlot data: every bucket's records, and with `created` how many of them exist. */
export function chartSeries(buckets: readonly PreviewBucket[], created: number | null): ChartSeries {
  const x = buckets.map((b) => (Date.parse(b.start) + Date.parse(b.end)) / 2000);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const range: [number, number] = first && last ? [Date.parse(first.start) / 1000, Date.parse(last.end) / 1000] : [0, 1];
  return {
    x,
    planned: buckets.map((b) => b.count),
    created: created === null ? null : createdPerBucket(buckets, created),
    range,
  };
}

/** A bucket as the chart's table names it: "14:00", "Mon 2 Mar 2026", "Week of 2 Mar 2026", in `zone`. */
export function bucketLabel(bucket: PreviewBucket, unit: BucketUnit | null | undefined, zone: string): string {
  switch (unit) {
    case 'hour':
      return formatInZone(bucket.start, zone);
    case 'day':
      return formatDayInZone(bucket.start, zone);
    case 'week':
      return `Week of ${formatDateInZone(bucket.start, zone)}`;
    default:
      return `${formatInZone(bucket.start, zone)} to ${formatInZone(bucket.end, zone)}`;
  }
}

/** "per hour", "per day", "per week" (from Monday), for the chart's caption. */
export function bucketUnitLabel(unit: BucketUnit | null | undefined): string | null {
  if (unit === 'hour') return 'records per hour';
  if (unit === 'day') return 'records per day';
  if (unit === 'week') return 'records per week, from Monday';
  return null;
}
