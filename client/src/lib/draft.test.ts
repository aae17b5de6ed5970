import { describe, expect, it } from 'vitest';
import { emptyDraft, type SimulationDraft } from '../store';
import { checkBody, draftRequest, fieldLabel, mergeErrors, requiredErrors, visibleFields } from './draft';

function draft(overrides: Partial<SimulationDraft>): SimulationDraft {
  return { ...emptyDraft(), theme: 'Theme', industry: 'Retail', ...overrides };
}

describe('the request a draft makes', () => {
  it('the original schedule sends record_frequency and none of the planned fields', () => {
    const { body, errors } = draftRequest(draft({ kind: 'original', record_frequency: '1day', seed: '5', total_records: '7' }));
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

  it('sends the connection picked with either kind of run, and none when nowhere is picked', () => {
    expect(draftRequest(draft({ kind: 'original', connection: '3' })).body).toEqual({
      theme: 'Theme',
      industry: 'Retail',
      record_frequency: '1h',
      connection: 3,
    });
    expect(draftRequest(draft({ kind: 'planned', connection: '12' })).body).toMatchObject({ total_records: 100, connection: 12 });
    expect(draftRequest(draft({ kind: 'planned', connection: '' })).body).not.toHaveProperty('connection');
  });

  it('sends email_domains only when the user opts into realistic ones (reserved is the server’s default)', () => {
    expect(draftRequest(draft({ kind: 'original' })).body).not.toHaveProperty('email_domains');
    expect(draftRequest(draft({ kind: 'planned', email_domains: 'reserved' })).body).not.toHaveProperty('email_domains');
    expect(draftRequest(draft({ kind: 'original', email_domains: 'realistic' })).body).toMatchObject({ email_domains: 'realistic' });
    expect(draftRequest(draft({ kind: 'planned', email_domains: 'realistic' })).body).toMatchObject({ email_domains: 'realistic' });
  });

  it('sends activity_level only when it is not normal (the server’s default), and never with the original schedule', () => {
    expect(draftRequest(draft({ kind: 'planned', activity_level: 'normal' })).body).not.toHaveProperty('activity_level');
    expect(draftRequest(draft({ kind: 'planned', activity_level: 'busy' })).body).toMatchObject({ activity_level: 'busy' });
    expect(draftRequest(draft({ kind: 'planned', activity_level: 'none' })).body).toMatchObject({ activity_level: 'none' });
    expect(draftRequest(draft({ kind: 'original', activity_level: 'busy' })).body).not.toHaveProperty('activity_level');
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
    expect(visibleFields({ kind: 'original', distribution: 'custom' })).toEqual(['theme', 'industry', 'record_frequency', 'name', 'connection', 'email_domains']);
    expect(visibleFields({ kind: 'planned', distribution: 'uniform' })).toEqual([
      'theme',
      'industry',
      'total_records',
      'starts_at',
      'ends_at',
      'distribution',
      'timezone',
      'seed',
      'scenario',
      'contacts_per_company',
      'deal_rate',
      'win_rate',
      'sales_cycle_days',
      'activity_level',
      'name',
      'connection',
      'email_domains',
    ]);
    // b2c has no companies: no contacts per company either.
    expect(visibleFields({ kind: 'planned', distribution: 'uniform', scenario: 'b2c' })).not.toContain('contacts_per_company');
  });
});

describe('the CRM settings of a planned run', () => {
  it('sends none of them when they are left at their defaults', () => {
    const { body, errors } = draftRequest(draft({ kind: 'planned' }));
    expect(errors).toEqual({});
    for (const field of ['scenario', 'contacts_per_company', 'deal_rate', 'win_rate', 'sales_cycle_days']) {
      expect(body).not.toHaveProperty(field);
    }
  });

  it('sends the ones changed, rates as shares from 0 to 1', () => {
    const { body, errors } = draftRequest(
      draft({ kind: 'planned', contacts_per_company: '10', deal_rate: '12.5', win_rate: '0', sales_cycle_days: '90' }),
    );
    expect(errors).toEqual({});
    expect(body).toMatchObject({ contacts_per_company: 10, deal_rate: 0.125, win_rate: 0, sales_cycle_days: 90 });
    expect(body).not.toHaveProperty('scenario');
    expect(draftRequest(draft({ kind: 'planned', deal_rate: '14.3', win_rate: '100' })).body).toMatchObject({ deal_rate: 0.143, win_rate: 1 });
  });

  it('never sends contacts_per_company with b2c, nor checks it', () => {
    const { body, errors } = draftRequest(draft({ kind: 'planned', scenario: 'b2c', contacts_per_company: 'oops' }));
    expect(errors).toEqual({});
    expect(body).toMatchObject({ scenario: 'b2c' });
    expect(body).not.toHaveProperty('contacts_per_company');
  });

  it('checks each against the server’s ranges', () => {
    const { errors } = draftRequest(
      draft({ kind: 'planned', contacts_per_company: '51', deal_rate: '101', win_rate: '-1', sales_cycle_days: '0' }),
    );
    expect(errors).toEqual({
      contacts_per_company: ['Enter a whole number from 1 to 50.'],
      deal_rate: ['Enter a percentage from 0 to 100.'],
      win_rate: ['Enter a percentage from 0 to 100.'],
      sales_cycle_days: ['Enter a whole number of days from 1 to 365.'],
    });
    expect(draftRequest(draft({ kind: 'planned', contacts_per_company: '2.5', sales_cycle_days: '366', deal_rate: '' })).errors).toEqual({
      contacts_per_company: ['Enter a whole number from 1 to 50.'],
      deal_rate: ['Enter a percentage from 0 to 100.'],
      sales_cycle_days: ['Enter a whole number of days from 1 to 365.'],
    });
  });

  it('sends none of them with the original schedule', () => {
    const { body } = draftRequest(draft({ kind: 'original', scenario: 'b2c', deal_rate: '50' }));
    expect(body).toEqual({ theme: 'Theme', industry: 'Retail', record_frequency: '1h' });
  });
});

describe('every error at once', () => {
  it('asks the server about a wrong draft with the good values as sent and the wrong ones as typed', () => {
    const wrong = draft({ kind: 'planned', total_records: 'many', starts_at: '2020-01-01T09:00', deal_rate: '150', seed: '-1', theme: ' ' });
    const { body, errors } = draftRequest(wrong);
    const all = { ...errors, ...requiredErrors(wrong) };

    const check = checkBody(wrong, body, all) as Record<string, unknown>;

    // The server's own checks of the window need it; it is sent as it would be.
    expect(check.starts_at).toBe(body.starts_at);
    expect(check).toMatchObject({ total_records: 'many', deal_rate: '150', theme: ' ', industry: 'Retail' });
    // The seed's JSON must be digits, and no other check depends on it.
    expect(check).not.toHaveProperty('seed');
    expect(check).not.toHaveProperty('kind');
  });

  it('leaves a draft without errors as it would be sent', () => {
    const fine = draft({ kind: 'planned', seed: '5' });
    const { body } = draftRequest(fine);
    expect(checkBody(fine, body, {})).toEqual(body);
  });

  it('keeps the browser’s words on a field both judged and adds the server’s on the others', () => {
    const merged = mergeErrors(
      { total_records: ['Enter a whole number from 1 to 1,000,000.'] },
      { total_records: ['Must be a whole number.'], starts_at: ['Window start can be at most 366 days in the past.'] },
    );
    expect(merged).toEqual({
      total_records: ['Enter a whole number from 1 to 1,000,000.'],
      starts_at: ['Window start can be at most 366 days in the past.'],
    });
  });

  it('names a field in the form’s words', () => {
    expect(fieldLabel('starts_at')).toBe('Window start');
    expect(fieldLabel('record_frequency')).toBe('Frequency');
    expect(fieldLabel('something_new')).toBe('something new');
  });
});
