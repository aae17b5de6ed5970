/**
 * The API's types, named for the client. Each is the server's own definition: an alias of a
 * component of the OpenAPI schema, generated into ./schema.d.ts (regenerate it with
 * `npm --prefix client run api:types` after changing a serializer; `./test` checks it is current).
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type Frequency = Schemas['RecordFrequencyEnum'];
export type SimulationStatus = Schemas['SimulationStatusEnum'];
export type JobStatus = Schemas['JobStatusEnum'];

export type Me = Schemas['Me'];
/** GET /api/auth/csrf/: the token, and a sign-in hint that only a DEBUG server (the quick start) sends. */
export type Csrf = Schemas['Csrf'];
export type Simulation = Schemas['Simulation'];
/** The body of POST /api/simulations/. */
export type SimulationInput = Schemas['SimulationCreateRequest'];
/** The body of PATCH /api/simulations/{id}/: only the name can change. */
export type SimulationUpdate = Schemas['PatchedSimulationUpdateRequest'];
export type Job = Schemas['Job'];
export type Contact = Schemas['Contact'];
/** One entry of the persona cache (GET /api/personas/): a pool of personas for a theme and industry. */
export type CachedPersona = Schemas['CachedPersona'];
/** One persona of a pool: the contact fields a provider wrote. */
export type Persona = Schemas['Persona'];

/** Jobs of a simulation per status, as the server counts them. */
export type JobCounts = Simulation['job_counts'];

// Every job status, in lifecycle order. A Record so that a status added to (or dropped from) the
// schema is a type error here until this list follows.
const JOB_STATUS_ORDER: Record<JobStatus, true> = {
  pending: true,
  processing: true,
  completed: true,
  failed: true,
  cancelled: true,
};
export const JOB_STATUSES = Object.keys(JOB_STATUS_ORDER) as readonly JobStatus[];

/** A DRF page, normalised by asPage() (next and previous always present). */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
