import { useMutation, useQuery, useQueryClient, type Query } from '@tanstack/react-query';
import {
  ApiError,
  JsonText,
  api,
  asPage,
  fetchCsrf,
  fetchCsrfToken,
  getAllPages,
  resetCsrfToken,
  simulationJson,
} from './client';
import { meKey } from './queryClient';
import type {
  Activity,
  ActivityKind,
  ActivityWeeks,
  CachedPersona,
  Company,
  Connection,
  ConnectionInput,
  ConnectionUpdate,
  Contact,
  Deal,
  Funnel,
  Job,
  Me,
  Page,
  Preview,
  RecordEvent,
  RetriedDeliveries,
  Simulation,
  SimulationRequest,
  SimulationSchedule,
  SimulationUpdate,
  SystemStatus,
} from './types';

export const POLL_MS = 3000;

export const keys = {
  me: meKey,
  csrf: ['csrf'] as const,
  simulations: ['simulations'] as const,
  simulationList: (url: string) => ['simulations', 'list', url] as const,
  simulation: (id: string | number) => ['simulations', 'detail', String(id)] as const,
  jobs: (id: string | number) => ['simulations', 'detail', String(id), 'jobs'] as const,
  schedule: (id: string | number) => ['simulations', 'detail', String(id), 'schedule'] as const,
  /** A simulation's companies, deals or events: one query per page (under this key, by page URL). */
  records: (id: string | number, kind: RecordListKind) => ['simulations', 'detail', String(id), kind] as const,
  recordPage: (id: string | number, kind: RecordListKind, url: string) => ['simulations', 'detail', String(id), kind, url] as const,
  /** Deals looked up by id, to name them in the activity (bounded: see useDealIndex). */
  dealIndex: (id: string | number) => ['simulations', 'detail', String(id), 'deal-index'] as const,
  /** Contacts looked up by id, to name them in the deals and the activity (bounded like dealIndex). */
  contactIndex: (id: string | number) => ['simulations', 'detail', String(id), 'contact-index'] as const,
  funnel: (id: string | number) => ['simulations', 'detail', String(id), 'funnel'] as const,
  /** Not under 'simulations': a preview is a pure function of its body, never invalidated by changes. */
  preview: (body: SimulationRequest | null) => ['simulation-preview', body] as const,
  personas: (url: string) => ['personas', url] as const,
  connections: ['connections'] as const,
  connectionList: ['connections', 'list'] as const,
  connection: (id: string | number) => ['connections', 'detail', String(id)] as const,
  status: ['status'] as const,
};

// ---- auth -------------------------------------------------------------------------------------

/** The signed-in user, or null when signed out (me answers 401/403). */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: keys.me,
    queryFn: async () => {
      try {
        return await api.get<Me>('/api/auth/me/');
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

/**
 * The sign-in page's GET /api/auth/csrf/: sets the CSRF cookie early and brings the sign-in hint
 * (non-null only on a DEBUG server). A failure only means no hint: the login POST reports problems.
 */
export function useSignInHint() {
  return useQuery({
    queryKey: keys.csrf,
    queryFn: fetchCsrf,
    select: (info) => info.signInHint,
    staleTime: Infinity,
    retry: false,
    refetchOnWindowFocus: false,
  });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: { username: string; password: string }) => {
      // Make sure Django has set the csrftoken cookie (or given us the token) before posting.
      try {
        await fetchCsrfToken();
      } catch {
        /* the login POST will report the real problem */
      }
      const data = await api.post<unknown>('/api/auth/login/', credentials);
      // Django rotates the CSRF token on login: drop the remembered one.
      resetCsrfToken();
      return data;
    },
    onSuccess: async (data) => {
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== meKey[0] });
      if (isMe(data)) qc.setQueryData(keys.me, data);
      await qc.invalidateQueries({ queryKey: keys.me });
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<unknown>('/api/auth/logout/'),
    onSettled: () => {
      resetCsrfToken();
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== meKey[0] });
      qc.setQueryData(keys.me, null);
    },
  });
}

function isMe(data: unknown): data is Me {
  return !!data && typeof data === 'object' && typeof (data as Me).username === 'string' && 'id' in data;
}

// ---- system status ----------------------------------------------------------------------------

export const STATUS_URL = '/api/status/';
/** How often the status banner asks again (and on window focus). */
export const STATUS_POLL_MS = 15_000;

/** Is a worker running, does the persona provider work? Polled for the banner of every signed-in page. */
export function useSystemStatus() {
  return useQuery<SystemStatus>({
    queryKey: keys.status,
    queryFn: () => api.get<SystemStatus>(STATUS_URL),
    refetchInterval: STATUS_POLL_MS,
    refetchOnWindowFocus: true,
  });
}

// ---- simulations ------------------------------------------------------------------------------

export const SIMULATIONS_URL = '/api/simulations/';

export function useSimulations(url: string = SIMULATIONS_URL) {
  return useQuery<Page<Simulation>>({
    queryKey: keys.simulationList(url),
    queryFn: async () => asPage<Simulation>(await api.get<unknown>(url)),
    refetchInterval: POLL_MS,
    placeholderData: (previous) => previous,
  });
}

/** Polled while the simulation runs or still has jobs waiting or in flight. */
export function isLive(sim: Simulation | undefined | null): boolean {
  if (!sim) return false;
  const counts = sim.job_counts ?? {};
  return sim.status === 'running' || (counts.pending ?? 0) > 0 || (counts.processing ?? 0) > 0;
}

/**
 * Whether to tell the user the simulation is live: not when nothing is waiting or in flight and
 * some jobs failed (it is stuck on its failures, whatever its status says).
 */
export function looksLive(sim: Simulation | undefined | null): boolean {
  if (!isLive(sim) || !sim) return false;
  const counts = sim.job_counts ?? {};
  const active = (counts.pending ?? 0) + (counts.processing ?? 0);
  return active > 0 || (counts.failed ?? 0) === 0;
}

/**
 * Records still waiting to be delivered to the simulation's connection. Deliveries go on after a
 * simulation ends (completed, paused or cancelled), and while its connection holds them.
 */
export function isDelivering(sim: Simulation | undefined | null): boolean {
  return (sim?.delivery?.pending ?? 0) > 0;
}

/** Whether a simulation's page keeps refreshing: while it is live, or while any delivery is pending. */
export function needsRefresh(sim: Simulation | undefined | null): boolean {
  return isLive(sim) || isDelivering(sim);
}

export function useSimulation(id: string) {
  return useQuery<Simulation>({
    queryKey: keys.simulation(id),
    queryFn: () => api.get<Simulation>(`/api/simulations/${encodeURIComponent(id)}/`),
    refetchInterval: (query: Query<Simulation, Error, Simulation, readonly unknown[]>) =>
      needsRefresh(query.state.data) ? POLL_MS : false,
  });
}

/** Jobs a page: the first page's link names its size, so a page's first job has a known number. */
export const JOBS_PAGE_SIZE = 50;

export function jobsUrl(id: string | number): string {
  return `${SIMULATIONS_URL}${encodeURIComponent(String(id))}/jobs/?page_size=${JOBS_PAGE_SIZE}`;
}

/**
 * One page of a simulation's jobs (`url`: a DRF page link, the first page by default), in the order
 * they are due, polled while the simulation is live; the page shown stays while the next loads.
 */
export function useSimulationJobs(id: string, url: string | null, live: boolean) {
  const pageUrl = url ?? jobsUrl(id);
  return useQuery<Page<Job>>({
    queryKey: [...keys.jobs(id), pageUrl],
    queryFn: async () => asPage<Job>(await api.get<unknown>(pageUrl)),
    refetchInterval: live ? POLL_MS : false,
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[2] === String(id) ? previous : undefined),
  });
}

// ---- a simulation's CRM: contacts, companies, deals, events, funnel -------------------------------

/** The paged lists of a simulation's records. */
export type RecordListKind = 'contacts' | 'companies' | 'deals' | 'events';

interface RecordOf {
  contacts: Contact;
  companies: Company;
  deals: Deal;
  events: RecordEvent;
}

/** The first page of a simulation's companies, deals or events (oldest first, as the server orders them). */
export function recordListUrl(id: string | number, kind: RecordListKind): string {
  return `${SIMULATIONS_URL}${encodeURIComponent(String(id))}/${kind}/`;
}

/**
 * One page of a simulation's companies, deals or events (`url`: a DRF page link, the first page by
 * default), polled while the simulation is live; the previous page stays on screen while the next loads.
 */
export function useSimulationRecords<K extends RecordListKind>(
  id: string,
  kind: K,
  url: string | null,
  { live, enabled = true }: { live: boolean; enabled?: boolean },
) {
  const pageUrl = url ?? recordListUrl(id, kind);
  return useQuery<Page<RecordOf[K]>>({
    queryKey: keys.recordPage(id, kind, pageUrl),
    queryFn: async () => asPage<RecordOf[K]>(await api.get<unknown>(pageUrl)),
    enabled,
    refetchInterval: live ? POLL_MS : false,
    // The page shown stays while another page of the same list loads (not another simulation's).
    placeholderData: (previous, previousQuery) =>
      previousQuery?.queryKey[2] === String(id) && previousQuery.queryKey[3] === kind ? previous : undefined,
  });
}

/** Records fetched at most to name the ones a tab shows (deals in the activity, contacts of deals): 4 pages of 500. */
export const DEAL_INDEX_PAGES = 4;
export const DEAL_INDEX_PAGE_SIZE = 500;

/** Records by id, the first DEAL_INDEX_PAGES × DEAL_INDEX_PAGE_SIZE; `complete` when that is all of them. */
export interface RecordIndex<T> {
  records: ReadonlyMap<number, T>;
  complete: boolean;
}

/**
 * A simulation's deals or contacts by id, to name those a tab shows (later ones are named by id).
 * While the simulation is live it is asked again every POLL_MS, but only while a record in `wanted`
 * is missing from an index that holds every record (a new one, not one past the bound).
 */
function useRecordIndex<K extends 'contacts' | 'deals'>(
  id: string,
  kind: K,
  { enabled, live, wanted }: { enabled: boolean; live: boolean; wanted: readonly number[] },
) {
  return useQuery<RecordIndex<RecordOf[K]>>({
    queryKey: kind === 'deals' ? keys.dealIndex(id) : keys.contactIndex(id),
    queryFn: async () => {
      const limit = DEAL_INDEX_PAGES * DEAL_INDEX_PAGE_SIZE;
      const url = `${recordListUrl(id, kind)}?page_size=${DEAL_INDEX_PAGE_SIZE}`;
      const records = await getAllPages<RecordOf[K]>(url, DEAL_INDEX_PAGES);
      return { records: new Map(records.map((r) => [r.id, r])), complete: records.length < limit };
    },
    enabled,
    refetchInterval: (query) => {
      const index = query.state.data;
      return live && index?.complete && wanted.some((r) => !index.records.has(r)) ? POLL_MS : false;
    },
  });
}

/** Deals by id, to name the deals of the activity shown. */
export function useDealIndex(id: string, options: { enabled: boolean; live: boolean; wanted: readonly number[] }) {
  return useRecordIndex(id, 'deals', options);
}

/** Contacts by id, to name the contacts of the deals and the activity shown. */
export function useContactIndex(id: string, options: { enabled: boolean; live: boolean; wanted: readonly number[] }) {
  return useRecordIndex(id, 'contacts', options);
}

/** What the activity timeline shows: one kind, one contact's or one deal's; all of them when unset. */
export interface ActivityFilter {
  kind?: ActivityKind;
  contact?: number;
  deal?: number;
}

/** GET /api/simulations/{id}/activities/?kind=&contact=&deal=: the first page, in timeline order. */
export function activitiesUrl(id: string | number, filter: ActivityFilter): string {
  const params = new URLSearchParams();
  if (filter.kind) params.set('kind', filter.kind);
  if (filter.contact) params.set('contact', String(filter.contact));
  if (filter.deal) params.set('deal', String(filter.deal));
  const query = params.toString();
  return `${SIMULATIONS_URL}${encodeURIComponent(String(id))}/activities/${query ? `?${query}` : ''}`;
}

/** One page of a simulation's activities (`url`: a DRF page link, else the filter's first page), polled while live. */
export function useSimulationActivities(id: string, filter: ActivityFilter, url: string | null, { live }: { live: boolean }) {
  const pageUrl = url ?? activitiesUrl(id, filter);
  return useQuery<Page<Activity>>({
    queryKey: [...keys.simulation(id), 'activities', pageUrl],
    queryFn: async () => asPage<Activity>(await api.get<unknown>(pageUrl)),
    refetchInterval: live ? POLL_MS : false,
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[2] === String(id) ? previous : undefined),
  });
}

/** A simulation's activities per week of its zone and per kind; polled while live. */
export function useActivityWeeks(id: string, { live }: { live: boolean }) {
  return useQuery<ActivityWeeks>({
    queryKey: [...keys.simulation(id), 'activity-weeks'],
    queryFn: () => api.get<ActivityWeeks>(`${SIMULATIONS_URL}${encodeURIComponent(id)}/activities/weeks/`),
    refetchInterval: live ? POLL_MS : false,
  });
}

/** Contacts per lifecycle stage, deals and amounts per deal stage; polled while the simulation is live. */
export function useSimulationFunnel(id: string, { live, enabled = true }: { live: boolean; enabled?: boolean }) {
  return useQuery<Funnel>({
    queryKey: keys.funnel(id),
    queryFn: () => api.get<Funnel>(`${SIMULATIONS_URL}${encodeURIComponent(id)}/funnel/`),
    enabled,
    refetchInterval: live ? POLL_MS : false,
  });
}

export function useCreateSimulation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: SimulationRequest) => api.post<Simulation>(SIMULATIONS_URL, new JsonText(simulationJson(input))),
    onSuccess: (sim) => {
      qc.setQueryData(keys.simulation(sim.id), sim);
      void qc.invalidateQueries({ queryKey: keys.simulations });
    },
  });
}

export const PREVIEW_URL = `${SIMULATIONS_URL}preview/`;

/**
 * POST /api/simulations/preview/ for this body (null: nothing to ask yet). The body is the key, so
 * each distinct body is asked once (and again after 5 minutes). A 400 is the answer (field
 * errors), not a failure to retry.
 */
export function usePreview(body: SimulationRequest | null) {
  return useQuery<Preview>({
    queryKey: keys.preview(body),
    queryFn: () => api.post<Preview>(PREVIEW_URL, new JsonText(simulationJson(body as SimulationRequest))),
    enabled: body !== null,
    staleTime: 5 * 60_000,
    refetchOnWindowFocus: false,
  });
}

/**
 * GET /api/simulations/:id/schedule/: the buckets a simulation runs on, from its own stored settings
 * and seed (any window age). It never changes, so it is asked once.
 */
export function useSimulationSchedule(id: string | number) {
  return useQuery<SimulationSchedule>({
    queryKey: keys.schedule(id),
    queryFn: () => api.get<SimulationSchedule>(`${SIMULATIONS_URL}${encodeURIComponent(String(id))}/schedule/`),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

/** POST replay: a new simulation with the same settings, window and seed (409 for the original schedule). */
export function useReplaySimulation(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<Simulation>(`/api/simulations/${encodeURIComponent(id)}/replay/`),
    onSuccess: (sim) => {
      qc.setQueryData(keys.simulation(sim.id), sim);
      void qc.invalidateQueries({ queryKey: ['simulations', 'list'] });
    },
  });
}

export type SimulationAction = 'pause' | 'resume' | 'cancel';

export function useSimulationAction(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (action: SimulationAction) =>
      api.post<Simulation>(`/api/simulations/${encodeURIComponent(id)}/${action}/`),
    onSuccess: (sim) => {
      if (sim && typeof sim === 'object' && 'status' in sim) qc.setQueryData(keys.simulation(id), sim);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: keys.simulations }),
  });
}

/** Every failed job of the simulation back to pending, due now. 409 when none failed or it is cancelled. */
export function useRetryFailed(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<Simulation>(`/api/simulations/${encodeURIComponent(id)}/retry-failed/`),
    onSuccess: (sim) => {
      if (sim && typeof sim === 'object' && 'status' in sim) qc.setQueryData(keys.simulation(id), sim);
    },
    // The simulation, its jobs and contacts, and the lists.
    onSettled: () => qc.invalidateQueries({ queryKey: keys.simulations }),
  });
}

export function useRenameSimulation(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: SimulationUpdate) => api.patch<Simulation>(`/api/simulations/${encodeURIComponent(id)}/`, input),
    onSuccess: (sim) => {
      if (sim && typeof sim === 'object' && 'status' in sim) qc.setQueryData(keys.simulation(id), sim);
      void qc.invalidateQueries({ queryKey: ['simulations', 'list'] });
    },
  });
}

/**
 * DELETE: the simulation with its jobs and contacts, from SimCRM only. onDeleted runs first (leave
 * the page), then its cached detail is dropped rather than refetched into a 404, and the lists refetch.
 */
export function useDeleteSimulation(id: string, onDeleted: () => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete(`/api/simulations/${encodeURIComponent(id)}/`),
    onSuccess: () => {
      onDeleted();
      qc.removeQueries({ queryKey: keys.simulation(id) });
      void qc.invalidateQueries({ queryKey: ['simulations', 'list'] });
    },
  });
}

export function useRetryJob(simulationId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (jobId: number) => api.post<Job>(`/api/jobs/${jobId}/retry/`),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.simulation(simulationId) }),
  });
}

// ---- personas ---------------------------------------------------------------------------------

export const PERSONAS_URL = '/api/personas/';

export function usePersonas(url: string = PERSONAS_URL, enabled = true) {
  return useQuery<Page<CachedPersona>>({
    queryKey: keys.personas(url),
    queryFn: async () => asPage<CachedPersona>(await api.get<unknown>(url)),
    enabled,
    placeholderData: (previous) => previous,
  });
}

export function usePurgePersona() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: CachedPersona['id']) => api.delete(`${PERSONAS_URL}${encodeURIComponent(String(id))}/`),
    onSettled: () => qc.invalidateQueries({ queryKey: ['personas'] }),
  });
}

// ---- connections ------------------------------------------------------------------------------

export const CONNECTIONS_URL = '/api/connections/';

function connectionUrl(id: string | number): string {
  return `${CONNECTIONS_URL}${encodeURIComponent(String(id))}/`;
}

/** The user's connections, newest first (all pages: a user has a few). Polled when `poll`. */
export function useConnections({ poll = false }: { poll?: boolean } = {}) {
  return useQuery<Connection[]>({
    queryKey: keys.connectionList,
    queryFn: () => getAllPages<Connection>(CONNECTIONS_URL),
    refetchInterval: poll ? POLL_MS : false,
  });
}

/** One connection (a simulation's, for its name, status and where its records are); none for null. */
export function useConnection(id: number | null, { poll = false }: { poll?: boolean } = {}) {
  return useQuery<Connection>({
    queryKey: keys.connection(id ?? 'none'),
    queryFn: () => api.get<Connection>(connectionUrl(id ?? 0)),
    enabled: id !== null,
    refetchInterval: poll ? POLL_MS : false,
  });
}

/** POST: the server checks the token with HubSpot first (400 on access_token when it is refused). */
export function useCreateConnection() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: ConnectionInput) => api.post<Connection>(CONNECTIONS_URL, input),
    onSuccess: (created) => {
      qc.setQueryData(keys.connection(created.id), created);
      void qc.invalidateQueries({ queryKey: keys.connectionList });
    },
  });
}

/** PATCH name, access_token or tier; a good new token clears `invalid` and releases held deliveries. */
export function useUpdateConnection() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...input }: ConnectionUpdate & { id: number }) => api.patch<Connection>(connectionUrl(id), input),
    onSuccess: (updated) => {
      qc.setQueryData(keys.connection(updated.id), updated);
      void qc.invalidateQueries({ queryKey: keys.connectionList });
      // Released deliveries change the simulations' counts.
      void qc.invalidateQueries({ queryKey: keys.simulations });
    },
  });
}

/** DELETE: from SimCRM only; its records not delivered yet are marked failed. */
export function useDeleteConnection() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete(connectionUrl(id)),
    onSuccess: (_data, id) => {
      qc.removeQueries({ queryKey: keys.connection(id) });
      void qc.invalidateQueries({ queryKey: keys.connectionList });
      void qc.invalidateQueries({ queryKey: keys.simulations });
    },
  });
}

/** Every failed delivery of the connection's simulations back in the queue; answers how many records. */
export function useRetryDeliveries() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.post<RetriedDeliveries>(`${connectionUrl(id)}retry-failed/`),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.simulations }),
  });
}
