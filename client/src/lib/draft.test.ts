import { describe, expect, it } from 'vitest';
import { emptyDraft, type SimulationDraft } from '../store';
import { draftRequest, requiredErrors, visibleFields } from './draft';

function draft(overrides: Partial<SimulationDraft>): SimulationDraft {
  return { ...emptyDraft(), theme: 'Theme', industry: 'Retail', ...overrides };
}

describe('the request a draft makes', () => {
  it('a quick burst sends record_frequency and none of the planned fields', () => {
    const { body, errors } = draftRequest(draft({ kind: 'quick', record_frequency: '1day', seed: '5', total_records: '7' }));
    expect(body).toEqual({ theme: 'Theme', industry: 'Retail', record_frequency: '1day' });
    expect(errors).toEqual({});
  });

  it('a planned run never sends record_frequency, and leaves empty optional values to the server', () => {
    const { body, errors } = draftRequest(
      draft({ kind: 'planned', record_frequency: '1wk', total_records: '300', distribution: 'bell_curve', timezone: 'Asia/Tokyo' }),
    );
    expect(body).toEqual({ theme: 'Theme', industry: 'Retail', total_records: 300, distribution: 'bell_curve', timezone: 'Asia/Tokyo' });
    expect(errors).toEqual({});
  });

  it('keeps the seed as its digits, and sends weights only for the custom curve', () => {
    const custom = draftRequest(
      draft({ kind: 'planned', distribution: 'custom', curve_weights: '1, 2, 3', seed: '9223372036854775807', name: ' Run ' }),
    );
    expect(custom.body).toMatchObject({ distribution: 'custom', curve_weights: [1, 2, 3], seed: '9223372036854775807', name: 'Run' });
    const uniform = draftRequest(draft({ kind: 'planned', distribution: 'uniform', curve_weights: '1, 2, 3' }));
    expect(uniform.body).not.toHaveProperty('curve_weights');
  });

  it('names each value that cannot be sent as it is', () => {
    const { errors } = draftRequest(
      draft({ kind: 'planned', total_records: '2.5', distribution: 'custom', curve_weights: '1, x', seed: '9223372036854775808', starts_at: 'soon' }),
    );
    expect(errors).toEqual({
      total_records: ['Enter a whole number from 1 to 1,000,000.'],
      starts_at: ['Enter a date and time, or leave it empty to start when the simulation is created.'],
      curve_weights: ['“x” is not a number.'],
      seed: ['A whole number from 0 to 9,223,372,036,854,775,807, or leave it empty for a random one.'],
    });
  });

  it('asks for theme and industry when the form is sent', () => {
    expect(requiredErrors(draft({ theme: ' ', industry: '' }))).toEqual({ theme: ['Enter a theme.'], industry: ['Enter an industry.'] });
  });

  it('lists the fields on screen for each kind', () => {
    expect(visibleFields({ kind: 'quick', distribution: 'custom' })).toEqual(['theme', 'industry', 'record_frequency', 'name']);
    expect(visibleFields({ kind: 'planned', distribution: 'uniform' })).toEqual([
      'theme',
      'industry',
      'total_records',
      'starts_at',
      'ends_at',
      'distribution',
      'timezone',
      'seed',
      'name',
    ]);
  });
});
