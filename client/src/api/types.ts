export type Frequency = '1h' | '4hrs' | '1day' | '1wk' | '1mo';

export type SimulationStatus = 'running' | 'paused' | 'completed' | 'cancelled';

export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export const JOB_STATUSES: readonly JobStatus[] = [
  'pending',
  'processing',
  'completed',
  'failed',
  'cancelled',
];

export type JobCounts = Partial<Record<JobStatus, number>>;

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface Me {
  id: number;
  username: string;
  is_staff: boolean;
}

export interface Simulation {
  id: number;
  name: string | null;
  theme: string;
  industry: string;
  record_frequency: Frequency | string;
  status: SimulationStatus | string;
  created_at: string;
  job_counts: JobCounts | null;
  contacts_created: number;
}

export interface SimulationInput {
  theme: string;
  industry: string;
  record_frequency: Frequency;
  name?: string;
}

export interface Job {
  id: number;
  simulation: number;
  job_type: string;
  payload?: unknown;
  scheduled_for: string;
  status: JobStatus | string;
  result?: unknown;
  attempts: number;
  last_error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Contact {
  id: number;
  simulation: number;
  job: number | null;
  firstname: string;
  lastname: string;
  email: string;
  jobtitle: string;
  company: string;
  industry: string;
  source: string;
  created_at: string;
}

/** Only id is certain; everything else is read defensively. */
export interface Persona {
  id: number | string;
  theme?: unknown;
  industry?: unknown;
  created_at?: unknown;
  hits?: unknown;
  misses?: unknown;
  persona_count?: unknown;
  persona_data?: unknown;
  source?: unknown;
  [key: string]: unknown;
}
