import type { Contact, Job, Me, Page, Simulation } from '../api/types';

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
    ...overrides,
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
    created_at: '2026-11-01T10:00:05Z',
    ...overrides,
  };
}
