import { describe, expect, it } from 'vitest';
import { useUiStore } from './store';

describe('the saved draft', () => {
  it('reads a draft saved by an older client: its missing fields filled in, its kind under today’s name', async () => {
    sessionStorage.setItem('simcrm-ui', JSON.stringify({ state: { draft: { theme: 'Pirates', kind: 'quick' } }, version: 0 }));
    await useUiStore.persist.rehydrate();
    const { draft } = useUiStore.getState();
    expect(draft.theme).toBe('Pirates');
    expect(draft.kind).toBe('original');
    expect(draft.total_records).toBe('100');
  });

  it('keeps a planned draft planned', async () => {
    sessionStorage.setItem('simcrm-ui', JSON.stringify({ state: { draft: { kind: 'planned' } }, version: 0 }));
    await useUiStore.persist.rehydrate();
    expect(useUiStore.getState().draft.kind).toBe('planned');
  });
});
