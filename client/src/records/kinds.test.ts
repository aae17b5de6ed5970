import { describe, expect, it } from 'vitest';
import { recordTabs } from '../pages/SimulationRecords';
import { RECORD_KINDS, exportUrl, recordKindsOf } from './kinds';

const planned = { total_records: 100, scenario: 'b2b', activity_level: 'normal' } as const;
const quiet = { total_records: 100, scenario: 'b2b', activity_level: 'none' } as const;
const b2c = { total_records: 100, scenario: 'b2c', activity_level: 'normal' } as const;
const original = { total_records: null, scenario: 'b2b', activity_level: null } as const;

describe('record kinds', () => {
  it('gives each simulation the kinds it has, in registry order', () => {
    expect(recordKindsOf(planned).map((k) => k.id)).toEqual(['contacts', 'companies', 'deals']);
    expect(recordKindsOf(b2c).map((k) => k.id)).toEqual(['contacts', 'deals']);
    expect(recordKindsOf(original).map((k) => k.id)).toEqual(['contacts']);
  });

  it('makes the record tabs from the registry, then activities where the timeline has them, stage changes and funnel', () => {
    const tabs = recordTabs(planned);
    expect(tabs.map((t) => t.label)).toEqual([...RECORD_KINDS.map((k) => k.label), 'Activities', 'Stage changes', 'Funnel']);
    expect(recordTabs(quiet).map((t) => t.id)).toEqual(['contacts', 'companies', 'deals', 'activity', 'funnel']);
    expect(recordTabs(original).map((t) => t.id)).toEqual(['contacts', 'activity', 'funnel']);
  });

  it('names each kind once', () => {
    const ids = RECORD_KINDS.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('exports', () => {
  it('links each kind and the answer key to the export endpoint', () => {
    expect(exportUrl(7, 'deals')).toBe('/api/simulations/7/export/?object=deals');
    expect(exportUrl(7, 'outcomes')).toBe('/api/simulations/7/export/?object=outcomes');
    expect(exportUrl(7, 'tasks')).toBe('/api/simulations/7/export/?object=tasks');
  });
});
