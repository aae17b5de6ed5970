import type { Simulation } from '../api/types';
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

/** GET /api/simulations/{id}/export/?object=…: a CSV download (the session cookie signs it). */
export function exportUrl(simulationId: string | number, object: RecordKindId | 'outcomes'): string {
  return `/api/simulations/${encodeURIComponent(String(simulationId))}/export/?object=${object}`;
}
