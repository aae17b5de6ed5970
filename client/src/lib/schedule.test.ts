import { describe, expect, it } from 'vitest';
import {
  FREQUENCIES,
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
