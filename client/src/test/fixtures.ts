import type {
  Company,
  Connection,
  Contact,
  Deal,
  Funnel,
  Job,
  Me,
  Page,
  PersonaProviderStatus,
  Preview,
  PreviewBucket,
  RecordEvent,
  Simulation,
  SystemStatus,
  WorkerStatus,
} from '../api/types';

export const user: Me = { id: 1, username: 'alice', is_staff: false };
export const staff: Me = { id: 2, username: 'root', is_staff: true };

export function page<T>(results: T[], extra: Partial<Page<T>> = {}): Page<T> {
  return { count: results.length, next: null, previous: null, results, ...extra };
}

export function simulation(overrides: Partial<Simulation> = {}): Simulation {
  return {
    id: 7,
    name: '',
    theme: 'Black Friday leads',
    industry: 'Retail',
    record_frequency: '1h',
    status: 'running',
    created_at: '2026-11-01T10:00:00Z',
    job_counts: { pending: 5, processing: 0, completed: 0, failed: 0, cancelled: 0 },
    contacts_created: 0,
    last_error: '',
    total_records: null,
    starts_at: null,
    ends_at: null,
    distribution: null,
    curve_weights: null,
    timezone: null,
    seed: 1234,
    scenario: null,
    contacts_per_company: null,
    deal_rate: null,
    win_rate: null,
    sales_cycle_days: null,
    activity_level: null,
    email_domains: 'reserved',
    connection: null,
    delivery: null,
    ...overrides,
  };
}

/** A planned simulation: 300 records on a bell curve over 6 days, its seed past 2**53. */
export function plannedSimulation(overrides: Partial<Simulation> = {}): Simulation {
  return simulation({
    name: 'Planned BF',
    total_records: 300,
    starts_at: '2026-11-01T00:00:00Z',
    ends_at: '2026-11-07T00:00:00Z',
    distribution: 'bell_curve',
    curve_weights: null,
    timezone: 'Europe/Berlin',
    seed: 9223372036854775807,
    seed_digits: '9223372036854775807',
    job_counts: { pending: 180, processing: 0, completed: 120, failed: 0, cancelled: 0 },
    contacts_created: 120,
    scenario: 'b2b',
    contacts_per_company: 3,
    deal_rate: 0.3,
    win_rate: 0.25,
    sales_cycle_days: 30,
    activity_level: 'normal',
    ...overrides,
  });
}

/** `n` equal buckets from `start` to `end`, with these counts (cycled). */
export function buckets(start: string, end: string, counts: number[]): PreviewBucket[] {
  const from = new Date(start).getTime();
  const step = (new Date(end).getTime() - from) / counts.length;
  return counts.map((count, i) => ({
    start: new Date(from + step * i).toISOString(),
    end: new Date(from + step * (i + 1)).toISOString(),
    count,
  }));
}

export function preview(overrides: { schedule?: Partial<Preview['schedule']>; forecast?: Partial<Preview['forecast']> } = {}): Preview {
  const starts = overrides.schedule?.starts_at ?? '2026-11-01T00:00:00Z';
  const ends = overrides.schedule?.ends_at ?? '2026-11-07T00:00:00Z';
  return {
    schedule: {
      total_records: 300,
      starts_at: starts,
      ends_at: ends,
      buckets: buckets(starts, ends, [10, 30, 80, 100, 60, 20]),
      first: ['2026-11-01T03:15:00Z', '2026-11-01T04:00:30Z', '2026-11-01T05:45:00Z'],
      ...overrides.schedule,
    },
    forecast: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      persona_calls: 15,
      prompt_tokens: 12000,
      completion_tokens: 45000,
      cost_usd: 0.0288,
      hubspot_requests: 0,
      hubspot_seconds: 0,
      crm_day_use: null,
      crm_warning: '',
      deals: 41,
      deals_won: 6,
      deals_lost: 15,
      activities: 0,
      activity_text_calls: 0,
      ...overrides.forecast,
    },
  };
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 100,
    simulation: 7,
    job_type: 'CREATE_CONTACT',
    payload: {},
    scheduled_for: '2026-11-01T10:00:00Z',
    status: 'pending',
    result: null,
    attempts: 0,
    last_error: '',
    created_at: '2026-11-01T10:00:00Z',
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

export function contact(overrides: Partial<Contact> = {}): Contact {
  return {
    id: 500,
    simulation: 7,
    job: 100,
    firstname: 'Ada',
    lastname: 'Lovelace',
    email: 'ada@example.com',
    jobtitle: 'Buyer',
    company: 'Analytical Ltd',
    industry: 'Retail',
    phone: '+44 20 7946 0018',
    city: 'London',
    country: 'United Kingdom',
    source: 'offline',
    lifecyclestage: 'lead',
    company_id: null,
    crm_id: null,
    sync_status: null,
    sync_error: '',
    occurred_at: null,
    created_at: '2026-11-01T10:00:05Z',
    ...overrides,
  };
}

export function company(overrides: Partial<Company> = {}): Company {
  return {
    id: 300,
    simulation: 7,
    name: 'Analytical Ltd',
    domain: 'analytical.example',
    industry: 'Retail',
    city: 'London',
    country: 'United Kingdom',
    employees: 1200,
    source: 'offline',
    crm_id: null,
    sync_status: null,
    sync_error: '',
    occurred_at: '2026-11-02T08:00:00Z',
    created_at: '2026-11-02T08:00:01Z',
    ...overrides,
  };
}

export function deal(overrides: Partial<Deal> = {}): Deal {
  return {
    id: 900,
    simulation: 7,
    name: 'Analytical Ltd – Engine order',
    amount: '12500.00',
    currency: 'USD',
    pipeline: 'default',
    dealstage: 'qualifiedtobuy',
    closedate: '2026-12-01T12:00:00Z',
    contact: 500,
    company: 300,
    crm_id: null,
    sync_status: null,
    sync_error: '',
    occurred_at: '2026-11-03T09:00:00Z',
    created_at: '2026-11-03T09:00:01Z',
    ...overrides,
  };
}

export function recordEvent(overrides: Partial<RecordEvent> = {}): RecordEvent {
  return {
    id: 1,
    simulation: 7,
    object_type: 'contact',
    object_id: 500,
    property: 'lifecyclestage',
    old_value: null,
    new_value: 'lead',
    occurred_at: '2026-11-02T08:00:00Z',
    ...overrides,
  };
}

/** Every stage present, zeros included, as the server answers; `counts` and `amounts` fill some in. */
export function funnel(
  counts: { lifecyclestage?: Record<string, number>; dealstage?: Record<string, number>; pipeline_amount?: Record<string, string> } = {},
): Funnel {
  const zeros = (stages: string[], zero: number | string) => Object.fromEntries(stages.map((s) => [s, zero]));
  const lifecycle = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];
  const deals = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];
  return {
    lifecyclestage: { ...(zeros(lifecycle, 0) as Record<string, number>), ...counts.lifecyclestage },
    dealstage: { ...(zeros(deals, 0) as Record<string, number>), ...counts.dealstage },
    pipeline_amount: { ...(zeros(deals, '0.00') as Record<string, string>), ...counts.pipeline_amount },
  };
}

/** A HubSpot connection: the local stand-in by default (portal 12345, token ending in cdef). */
export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 3,
    name: 'Stand-in',
    kind: 'hubspot',
    base_url: 'http://127.0.0.1:8765',
    tier: 'starter',
    token_last4: 'cdef',
    secret_last4: 'cdef',
    client_id: '',
    daily_share: null,
    status: 'ok',
    last_error: '',
    portal_id: 12345,
    created_at: '2026-11-01T09:00:00Z',
    delivery: { pending: 0, synced: 0, failed: 0 },
    ...overrides,
  };
}

/** GET /api/status/: all well by default (a worker seen just now, OpenAI accepting the key). */
export function systemStatus(
  overrides: { worker?: Partial<WorkerStatus>; persona_provider?: Partial<PersonaProviderStatus> } = {},
): SystemStatus {
  return {
    worker: { alive: true, last_seen_at: new Date().toISOString(), detail: 'A worker is running.', ...overrides.worker },
    persona_provider: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 'ok',
      detail: 'OpenAI accepts the key and serves gpt-4o-mini.',
      problem: null,
      ...overrides.persona_provider,
    },
  };
}
