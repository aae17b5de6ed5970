import type { ActivityKind, Simulation } from '../api/types';
import { hasCompanies, hasDeals } from '../lib/crm';

/**
 * The record kinds the client shows, in the order of their tabs: the client's twin of the server's
 * registry (simulations/kinds/). A new kind is one entry here plus its panel in SimulationRecords
 * (the compiler asks for it there); its list, its tab and its CSV link come from this entry.
 */
export interface RecordKindEntry {
  /** The API path segment (/api/simulations/{id}/<id>/) and, where `csv` is set, the export's `object`. */
  id: 'contacts' | 'companies' | 'deals';
  label: string;
  /** The CSV download's label; planned runs only. */
  csv: string;
  /** Whether a simulation has records of this kind. */
  present: (sim: Pick<Simulation, 'total_records' | 'scenario'>) => boolean;
}

export const RECORD_KINDS: readonly RecordKindEntry[] = [
  { id: 'contacts', label: 'Contacts', csv: 'Contacts CSV', present: () => true },
  { id: 'companies', label: 'Companies', csv: 'Companies CSV', present: hasCompanies },
  { id: 'deals', label: 'Deals', csv: 'Deals CSV', present: hasDeals },
];

export type RecordKindId = RecordKindEntry['id'];

/** The kinds a simulation has, in tab order. */
export function recordKindsOf(sim: Pick<Simulation, 'total_records' | 'scenario'>): RecordKindEntry[] {
  return RECORD_KINDS.filter((kind) => kind.present(sim));
}

/** The five activity kinds (the server's activities/kinds/): one Activities tab lists them all. */
export interface ActivityKindEntry {
  id: ActivityKind;
  label: string;
  /** One of them, in the timeline's words ("Email"). */
  one: string;
  /** A glyph beside each of them in a timeline (its name is read out instead). */
  icon: string;
  csv: string;
}

export const ACTIVITY_KINDS: readonly ActivityKindEntry[] = [
  { id: 'emails', label: 'Emails', one: 'Email', icon: '✉', csv: 'Emails CSV' },
  { id: 'calls', label: 'Calls', one: 'Call', icon: '☎', csv: 'Calls CSV' },
  { id: 'meetings', label: 'Meetings', one: 'Meeting', icon: '◷', csv: 'Meetings CSV' },
  { id: 'notes', label: 'Notes', one: 'Note', icon: '✎', csv: 'Notes CSV' },
  { id: 'tasks', label: 'Tasks', one: 'Task', icon: '☑', csv: 'Tasks CSV' },
];

export function activityKind(id: ActivityKind): ActivityKindEntry {
  const found = ACTIVITY_KINDS.find((kind) => kind.id === id);
  if (!found) throw new Error(`Unknown activity kind ${id}`);
  return found;
}

/** Whether a simulation's timeline has activities: a planned run with an activity level other than none. */
export function hasActivities(sim: Pick<Simulation, 'total_records' | 'activity_level'>): boolean {
  return sim.total_records != null && sim.activity_level != null && sim.activity_level !== 'none';
}

/** GET /api/simulations/{id}/export/?object=…: a CSV download (the session cookie signs it). */
export function exportUrl(simulationId: string | number, object: RecordKindId | ActivityKind | 'outcomes'): string {
  return `/api/simulations/${encodeURIComponent(String(simulationId))}/export/?object=${object}`;
}
