import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { Frequency } from './api/types';
import { DEFAULT_FREQUENCY } from './lib/schedule';

export interface SimulationDraft {
  theme: string;
  industry: string;
  record_frequency: Frequency;
  name: string;
}

export const EMPTY_DRAFT: SimulationDraft = {
  theme: '',
  industry: '',
  record_frequency: DEFAULT_FREQUENCY,
  name: '',
};

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
      clearDraft: () => set({ draft: EMPTY_DRAFT }),
      simulationsPage: null,
      setSimulationsPage: (url) => set({ simulationsPage: url }),
    }),
    {
      name: 'simcrm-ui',
      storage: createJSONStorage(() => sessionStorage),
      partialize: (s) => ({ draft: s.draft }),
    },
  ),
);
