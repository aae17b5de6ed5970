import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { plannedSimulation, simulation } from '../test/fixtures';
import {
  DISTRIBUTIONS,
  browserOffset,
  curveLabel,
  dealsForecast,
  formatInZone,
  isPlanned,
  knownTimeZones,
  localInputToIso,
  parseWeights,
  plannedSummary,
} from './planned';

describe('curves', () => {
  it('offers the 8 curves of the schema, each with a plain-words explanation', () => {
    expect(DISTRIBUTIONS.map((d) => d.value)).toEqual([
      'uniform',
      'front_loaded',
      'back_loaded',
      'bell_curve',
      'random_bursts',
      'business_hours',
      'weekend_surge',
      'custom',
    ]);
    for (const d of DISTRIBUTIONS) expect(d.explanation.length).toBeGreaterThan(20);
    expect(curveLabel('bell_curve')).toBe('Bell curve');
    expect(curveLabel('something_new')).toBe('something_new');
    expect(curveLabel(null)).toBe('—');
  });
});

describe('the window in the browser’s time', () => {
  // The browser's zone is the process's here.
  beforeEach(() => {
    vi.stubEnv('TZ', 'Europe/Berlin');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('sends a datetime-local value as ISO 8601 with the browser’s offset at that date', () => {
    expect(localInputToIso('2026-07-01T09:30')).toBe('2026-07-01T09:30:00+02:00');
    expect(localInputToIso('2026-01-15T09:30')).toBe('2026-01-15T09:30:00+01:00');
    expect(localInputToIso('2026-01-15T09:30:15')).toBe('2026-01-15T09:30:15+01:00');
    // The same instant, whichever way it is written.
    expect(new Date(localInputToIso('2026-07-01T09:30')!).toISOString()).toBe('2026-07-01T07:30:00.000Z');
    expect(browserOffset(new Date('2026-07-01T00:00:00Z'))).toBe('+02:00');
  });

  it('refuses what is not a date and time', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('2026-07-01')).toBeNull();
    expect(localInputToIso('tomorrow')).toBeNull();
  });
});

describe('time zones', () => {
  it('suggests the browser’s zones and UTC', () => {
    const zones = knownTimeZones();
    expect(zones).toContain('UTC');
    expect(zones).toContain('Europe/Berlin');
  });

  it('formats in the zone asked for, or the browser’s when it is unknown', () => {
    const at = '2026-11-01T08:00:00Z';
    expect(formatInZone(at, 'Asia/Tokyo')).toMatch(/17:00|5:00/);
    expect(formatInZone(at, 'America/New_York')).toMatch(/03:00|3:00/);
    expect(formatInZone(at, 'Mars/Olympus')).toBe(formatInZone(at, undefined));
    expect(formatInZone('not a date', 'UTC')).toBe('—');
  });
});

describe('custom weights', () => {
  it('reads numbers separated by commas, spaces or semicolons', () => {
    expect(parseWeights('1, 3,5 ;3 1')).toEqual({ weights: [1, 3, 5, 3, 1] });
    expect(parseWeights('0.5 2.25')).toEqual({ weights: [0.5, 2.25] });
  });

  it('names what is not a number', () => {
    expect(parseWeights('1, two, 3')).toEqual({ error: '“two” is not a number.' });
    expect(parseWeights('  ')).toEqual({ error: 'Enter 2 to 1,000 numbers, e.g. 1, 3, 5, 3, 1.' });
  });
});

describe('planned simulations', () => {
  it('tells a planned simulation from the original schedule', () => {
    expect(isPlanned(plannedSimulation())).toBe(true);
    expect(isPlanned(simulation())).toBe(false);
    expect(plannedSummary(plannedSimulation({ total_records: 1500 }))).toBe('1,500 records · Bell curve');
  });

});

describe('the deals forecast', () => {
  it('says how many deals open before the window ends, as a share of the contacts, and how they stand then', () => {
    expect(dealsForecast({ deals: 41, deals_won: 6, deals_lost: 15 }, 300)).toBe(
      '41 deals open before the window ends (14% of 300 contacts); 6 won and 15 lost by then, 20 still open.',
    );
    expect(dealsForecast({ deals: 1, deals_won: 0, deals_lost: 0 }, 1)).toBe(
      '1 deal opens before the window ends (100% of 1 contact); 0 won and 0 lost by then, 1 still open.',
    );
  });

  it('keeps a small share from reading as none, and says so when no deal opens', () => {
    expect(dealsForecast({ deals: 4, deals_won: 0, deals_lost: 0 }, 1_000)).toMatch(/\(0\.4% of 1,000 contacts\)/);
    expect(dealsForecast({ deals: 0, deals_won: 0, deals_lost: 0 }, 300)).toBe('No deal opens before the window ends.');
  });
});
