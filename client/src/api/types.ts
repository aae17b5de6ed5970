/**
 * The API's types, named for the client. Each is the server's own definition: an alias of a
 * component of the OpenAPI schema, generated into ./schema.d.ts (regenerate it with
 * `npm --prefix client run api:types` after changing a serializer; `./test` checks it is current).
 */
import type { components } from './schema';

export type Schemas = components['schemas'];

export type Frequency = Schemas['RecordFrequencyEnum'];
export type SimulationStatus = Schemas['SimulationStatusEnum'];
export type JobStatus = Schemas['JobStatusEnum'];

export type Me = Schemas['Me'];
/** GET /api/auth/csrf/: the token, and a sign-in hint that only a DEBUG server (the quick start) sends. */
export type Csrf = Schemas['Csrf'];
/**
 * A simulation, with its seed's exact digits beside the seed: the seed is an int64 (up to 2**63-1)
 * and a JS number keeps 53 bits, so `seed` itself is rounded for most random seeds. client.ts adds
 * `seed_digits` to every response; read the seed with seedDigits().
 */
export type Simulation = Schemas['Simulation'] & { readonly seed_digits?: string };
/** The body of POST /api/simulations/ (and /preview/), as the schema types it. */
export type SimulationInput = Schemas['SimulationCreateRequest'];
/**
 * The body of POST /api/simulations/ and /preview/ as the client builds it: the seed as its decimal
 * digits, which simulationJson() (client.ts) puts on the wire as a JSON integer, exactly.
 */
export type SimulationRequest = Omit<SimulationInput, 'seed'> & { seed?: string };
/** A planned simulation's curve. */
export type Distribution = Schemas['DistributionEnum'];
/** POST /api/simulations/preview/: the schedule (in buckets) and the persona bill. */
export type Preview = Schemas['Preview'];
export type PreviewBucket = Schemas['PreviewBucket'];
export type PreviewForecast = Schemas['PreviewForecast'];
/** GET /api/simulations/{id}/schedule/: a planned run's buckets are whole hours, days or weeks (`unit`) of its zone. */
export type SimulationSchedule = Schemas['SimulationSchedule'];
/** The body of PATCH /api/simulations/{id}/: only the name can change. */
export type SimulationUpdate = Schemas['PatchedSimulationUpdateRequest'];
export type Job = Schemas['Job'];
export type Contact = Schemas['Contact'];
/** A planned simulation's CRM: b2b puts contacts in companies, b2c has none. */
export type Scenario = Schemas['ScenarioEnum'];
/** reserved: subdomains of example.com/.org/.net (no real mailbox); realistic: lifelike domains. */
export type EmailDomains = Schemas['EmailDomainsEnum'];
/** A contact's HubSpot lifecycle stage (internal value). */
export type LifecycleStage = Schemas['LifecyclestageEnum'];
/** A deal's stage in HubSpot's default pipeline (internal value). */
export type DealStage = Schemas['DealstageEnum'];
export type Company = Schemas['Company'];
export type Deal = Schemas['Deal'];
/** One activity (GET /api/simulations/{id}/activities/): an email, call, meeting, note or task, as its `kind` says. */
export type Activity = Schemas['Activity'];
export type ActivityKind = Activity['kind'];
/** How many activities tell a planned run's story (none, light, normal, busy). */
export type ActivityLevel = Schemas['ActivityLevelEnum'];
/** GET /api/simulations/{id}/activities/weeks/: activities per week of the simulation's zone, per kind. */
export type ActivityWeeks = Schemas['ActivityWeeks'];
/** One stage a contact or deal took (its first one has old_value null). */
export type RecordEvent = Schemas['RecordEvent'];
/** GET /api/simulations/{id}/funnel/: counts per stage (every stage present) and amounts as decimal strings. */
export type Funnel = Schemas['Funnel'];
/** One entry of the persona cache (GET /api/personas/): a pool of personas for a theme and industry. */
export type CachedPersona = Schemas['CachedPersona'];
/** One persona of a pool: the contact fields a provider wrote. */
export type Persona = Schemas['Persona'];

/** A HubSpot connection (GET /api/connections/): the token is never returned, only its last 4 characters. */
export type Connection = Schemas['Connection'];
/** The body of POST /api/connections/: the server checks the token with HubSpot before saving. */
export type ConnectionInput = Schemas['ConnectionCreateRequest'];
/** The body of PATCH /api/connections/{id}/: name, access_token, tier. */
export type ConnectionUpdate = Schemas['PatchedConnectionUpdateRequest'];
/** ok; invalid (HubSpot refused the token: deliveries held); rate_limited (daily limit: deliveries held). */
export type ConnectionStatus = Schemas['ConnectionStatusEnum'];
/** A HubSpot subscription tier: it sets the connection's request budget. */
export type Tier = Schemas['TierEnum'];
/** Where a record stands with its connection's CRM (null when its simulation has no connection). */
export type SyncStatus = Schemas['SyncStatusEnum'];
/** POST /api/connections/{id}/retry-failed/: how many records were queued again. */
export type RetriedDeliveries = Schemas['RetriedDeliveries'];
/**
 * GET /api/status/: whether a worker runs (jobs wait without one) and whether the persona provider
 * works (new contacts fail without it), each with a `detail` written for users.
 */
export type SystemStatus = Schemas['Status'];
/** A worker is alive when one was seen in the last 10 s; last_seen_at is null when none ever ran. */
export type WorkerStatus = Schemas['WorkerStatus'];
/** The configured persona provider ("openai" or "offline"), its model (OpenAI only) and whether it works. */
export type PersonaProviderStatus = Schemas['PersonaProviderStatus'];
/** A simulation's records per delivery status (pending, synced, failed); null without a connection. */
export type DeliveryCounts = Simulation['delivery'];

/** The seed's exact decimal digits (see Simulation). */
export function seedDigits(sim: Pick<Simulation, 'seed' | 'seed_digits'>): string {
  return sim.seed_digits ?? String(sim.seed);
}

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
