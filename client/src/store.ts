import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { ActivityLevel, Distribution, EmailDomains, Frequency, Scenario } from './api/types';
import { CRM_DEFAULTS } from './lib/crm';
import { DEFAULT_DISTRIBUTION, browserTimeZone } from './lib/planned';
import { DEFAULT_FREQUENCY } from './lib/schedule';

/** Original: the original schedule, 5 contacts (record_frequency). Planned: total_records along a curve. */
export type RunKind = 'original' | 'planned';

export interface SimulationDraft {
  theme: string;
  industry: string;
  kind: RunKind;
  record_frequency: Frequency;
  name: string;
  // A planned run, as typed (strings: a half-typed value stays as it is).
  total_records: string;
  /** datetime-local values, the browser's wall clock; empty: the server's default. */
  starts_at: string;
  ends_at: string;
  distribution: Distribution;
  /** Numbers separated by commas or spaces; only for the custom curve. */
  curve_weights: string;
  timezone: string;
  /** Decimal digits; empty: a random seed. */
  seed: string;
  // A planned run's CRM, as typed.
  scenario: Scenario;
  /** b2b only (never sent with b2c). */
  contacts_per_company: string;
  /** Percentages (0 to 100) on screen; sent as shares (0 to 1). */
  deal_rate: string;
  win_rate: string;
  sales_cycle_days: string;
  /** The id of the connection to deliver to, as the select holds it; empty: nowhere. Both kinds of run. */
  connection: string;
  /** Both kinds of run; reserved unless the user opts into lifelike domains. */
  email_domains: EmailDomains;
  /** A planned run's emails, calls, meetings, notes and tasks: how many tell each contact's story. */
  activity_level: ActivityLevel;
}

export function emptyDraft(): SimulationDraft {
  return {
    theme: '',
    industry: '',
    kind: 'original',
    record_frequency: DEFAULT_FREQUENCY,
    name: '',
    total_records: '100',
    starts_at: '',
    ends_at: '',
    distribution: DEFAULT_DISTRIBUTION,
    curve_weights: '',
    timezone: browserTimeZone(),
    seed: '',
    scenario: CRM_DEFAULTS.scenario,
    contacts_per_company: String(CRM_DEFAULTS.contacts_per_company),
    deal_rate: String(CRM_DEFAULTS.deal_rate * 100),
    win_rate: String(CRM_DEFAULTS.win_rate * 100),
    sales_cycle_days: String(CRM_DEFAULTS.sales_cycle_days),
    connection: '',
    email_domains: 'reserved',
    activity_level: 'normal',
  };
}

export const EMPTY_DRAFT: SimulationDraft = emptyDraft();

interface UiState {
  /** The new-simulation form; kept until a simulation is created, across navigation and reloads. */
  draft: SimulationDraft;
  setDraft: (patch: Partial<SimulationDraft>) => void;
  clearDraft: () => void;
  /** The simulations list page being viewed (a DRF page URL), kept when coming back. */
  simulationsPage: string | null;
  setSimulationsPage: (url: string | null) => void;
}

export const useUiStore = create<UiState>()(
  persist(
    (set) => ({
      draft: EMPTY_DRAFT,
      setDraft: (patch) => set((s) => ({ draft: { ...s.draft, ...patch } })),
      clearDraft: () => set({ draft: emptyDraft() }),
      simulationsPage: null,
      setSimulationsPage: (url) => set({ simulationsPage: url }),
    }),
    {
      name: 'simcrm-ui',
      storage: createJSONStorage(() => sessionStorage),
      partialize: (s) => ({ draft: s.draft }),
      // A draft saved by an older client lacks the planned (and CRM) fields: fill them in from an empty one.
      // Its kind may have an older name ('quick' for the original schedule).
      merge: (persisted, current) => {
        const saved = (persisted as { draft?: Partial<SimulationDraft> } | undefined)?.draft;
        if (!saved || typeof saved !== 'object') return current;
        const kind: RunKind = saved.kind === 'planned' ? 'planned' : 'original';
        return { ...current, draft: { ...emptyDraft(), ...saved, kind } };
      },
    },
  ),
);
