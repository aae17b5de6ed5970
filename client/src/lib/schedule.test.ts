import { describe, expect, it } from 'vitest';
import { formatDayInZone, formatInZone } from './planned';
import {
  FREQUENCIES,
  bucketLabel,
  bucketUnitLabel,
  chartSeries,
  createdPerBucket,
  frequencyLabel,
  frequencyOptionLabel,
  frequencyPeriod,
  humanizeMinutes,
  intervalMinutes,
  previewCadence,
  previewSummary,
  scheduleOffsets,
  scheduleSummary,
  scheduleTimes,
} from './schedule';

describe('schedule preview', () => {
  it('offers the five frequencies with human labels', () => {
    expect(FREQUENCIES.map((f) => [f.value, f.label])).toEqual([
      ['1h', 'Every hour'],
      ['4hrs', 'Every 4 hours'],
      ['1day', 'Every day'],
      ['1wk', 'Every week'],
      ['1mo', 'Every month'],
    ]);
    expect(frequencyLabel('1wk')).toBe('Every week');
    expect(frequencyLabel('weird')).toBe('weird');
  });

  it('spaces the 5 jobs floor(minutes/4/5) apart, the first at once', () => {
    expect(intervalMinutes('1h')).toBe(3);
    expect(scheduleOffsets('1h')).toEqual([0, 3, 6, 9, 12]);
    expect(scheduleOffsets('4hrs')).toEqual([0, 12, 24, 36, 48]);
    expect(scheduleOffsets('1day')).toEqual([0, 72, 144, 216, 288]);
    expect(scheduleOffsets('1wk')).toEqual([0, 504, 1008, 1512, 2016]);
    expect(scheduleOffsets('1mo')).toEqual([0, 2160, 4320, 6480, 8640]);
  });

  it('gives absolute times from now', () => {
    const now = new Date('2026-11-01T10:00:00Z');
    const times = scheduleTimes('4hrs', now).map((d) => d.toISOString());
    expect(times).toEqual([
      '2026-11-01T10:00:00.000Z',
      '2026-11-01T10:12:00.000Z',
      '2026-11-01T10:24:00.000Z',
      '2026-11-01T10:36:00.000Z',
      '2026-11-01T10:48:00.000Z',
    ]);
  });

  it('words the summary for every frequency', () => {
    expect(previewSummary('1h')).toBe('5 contacts over the next 12 minutes');
    expect(previewSummary('4hrs')).toBe('5 contacts over the next 48 minutes');
    expect(previewSummary('1day')).toBe('5 contacts over the next 4 hours 48 minutes');
    expect(previewSummary('1wk')).toBe('5 contacts over the next 1 day 9 hours 36 minutes');
    expect(previewSummary('1mo')).toBe('5 contacts over the next 6 days');
    expect(previewCadence('1h')).toBe('The first arrives right away, then one every 3 minutes.');
    expect(previewCadence('1mo')).toBe('The first arrives right away, then one every 1 day 12 hours.');
  });

  it('says what a frequency does in plain words: 5 contacts over a span, then it stops', () => {
    expect(FREQUENCIES.map((f) => scheduleSummary(f.value))).toEqual([
      '5 contacts over 12 minutes, then it stops',
      '5 contacts over 48 minutes, then it stops',
      '5 contacts over 4 hours 48 minutes, then it stops',
      '5 contacts over 1 day 9 hours 36 minutes, then it stops',
      '5 contacts over 6 days, then it stops',
    ]);
    expect(FREQUENCIES.map((f) => frequencyOptionLabel(f.value))).toEqual([
      '1 hour: 5 contacts over 12 minutes',
      '4 hours: 5 contacts over 48 minutes',
      '1 day: 5 contacts over 4 hours 48 minutes',
      '1 week: 5 contacts over 1 day 9 hours 36 minutes',
      '1 month: 5 contacts over 6 days',
    ]);
    expect(frequencyPeriod('4hrs')).toBe('4 hours');
    expect(frequencyPeriod('2wk')).toBe('2wk');
    expect(scheduleSummary('2wk')).toBe('Record frequency 2wk');
  });

  it('humanizes minutes with singular and plural units', () => {
    expect(humanizeMinutes(0)).toBe('0 minutes');
    expect(humanizeMinutes(1)).toBe('1 minute');
    expect(humanizeMinutes(60)).toBe('1 hour');
    expect(humanizeMinutes(61)).toBe('1 hour 1 minute');
    expect(humanizeMinutes(1440)).toBe('1 day');
    expect(humanizeMinutes(2 * 1440 + 120 + 5)).toBe('2 days 2 hours 5 minutes');
  });
});

describe('schedule chart', () => {
  const day = (date: string, count: number) => ({ start: `${date}T00:00:00+01:00`, end: `${date}T23:59:59+01:00`, count });
  const week = [day('2026-03-02', 200), day('2026-03-03', 210), day('2026-03-04', 190), day('2026-03-05', 0)];

  it('colours what exists: the first records of the schedule, whole buckets then part of the next', () => {
    expect(createdPerBucket(week, 0)).toEqual([0, 0, 0, 0]);
    expect(createdPerBucket(week, 250)).toEqual([200, 50, 0, 0]);
    expect(createdPerBucket(week, 600)).toEqual([200, 210, 190, 0]);
    // Everything created: every bucket is all there, however far the window reaches past now.
    expect(createdPerBucket(week, 9999)).toEqual([200, 210, 190, 0]);
  });

  it('draws every bucket as planned, with what exists over it; all solid without a count', () => {
    const series = chartSeries(week, 300);
    expect(series.planned).toEqual([200, 210, 190, 0]);
    expect(series.created).toEqual([200, 100, 0, 0]);
    expect(series.range).toEqual([Date.parse(week[0]!.start) / 1000, Date.parse(week[3]!.end) / 1000]);
    expect(series.x[0]).toBe((Date.parse(week[0]!.start) + Date.parse(week[0]!.end)) / 2000);
    expect(chartSeries(week, null).created).toBeNull();
  });

  it('names a bucket by its hour, day or week in the zone', () => {
    const bucket = { start: '2026-03-01T23:00:00Z', end: '2026-03-02T23:00:00Z', count: 5 };
    // Midnight in Berlin is still Sunday in UTC: the label is the zone's day.
    expect(bucketLabel(bucket, 'day', 'Europe/Berlin')).toBe(formatDayInZone(bucket.start, 'Europe/Berlin'));
    expect(bucketLabel(bucket, 'day', 'Europe/Berlin')).toMatch(/Mon/);
    expect(bucketLabel(bucket, 'week', 'Europe/Berlin')).toMatch(/^Week of .*2/);
    expect(bucketLabel(bucket, 'hour', 'Europe/Berlin')).toBe(formatInZone(bucket.start, 'Europe/Berlin'));
    expect(bucketLabel(bucket, null, 'UTC')).toContain(' to ');
    expect(bucketUnitLabel('week')).toBe('records per week, from Monday');
    expect(bucketUnitLabel(null)).toBeNull();
  });
});
