import type { FieldErrors } from '../api/client';
import type { SimulationRequest } from '../api/types';
import type { SimulationDraft } from '../store';
import { MAX_SEED, MAX_TOTAL_RECORDS, formatCount, localInputToIso, parseWeights } from './planned';

export const MAX_LENGTH = 255;

/** The planned run's fields, in the form's order. */
export const PLAN_FIELDS = ['total_records', 'starts_at', 'ends_at', 'distribution', 'curve_weights', 'timezone', 'seed'] as const;

/** The fields the form shows for a kind of run, in order (for focusing the first error). */
export function visibleFields(draft: Pick<SimulationDraft, 'kind' | 'distribution'>): string[] {
  const plan = PLAN_FIELDS.filter((f) => f !== 'curve_weights' || draft.distribution === 'custom');
  return ['theme', 'industry', ...(draft.kind === 'quick' ? ['record_frequency'] : plan), 'name'];
}

/** Theme and industry: checked when the form is sent (not while the user has yet to reach them). */
export function requiredErrors(draft: SimulationDraft): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of ['theme', 'industry'] as const) {
    const value = draft[field].trim();
    if (!value) errors[field] = [field === 'theme' ? 'Enter a theme.' : 'Enter an industry.'];
    else if (value.length > MAX_LENGTH) errors[field] = [`Keep the ${field} to ${MAX_LENGTH} characters or fewer.`];
  }
  if (draft.name.trim().length > MAX_LENGTH) errors.name = [`Keep the name to ${MAX_LENGTH} characters or fewer.`];
  return errors;
}

/**
 * The request body for a draft, and the errors of any value that cannot be sent as it is (checked
 * as the user types: only the form of each value; the server checks the rest, e.g. the window).
 * A planned run never carries record_frequency; a quick burst carries none of the planned fields.
 */
export function draftRequest(draft: SimulationDraft): { body: SimulationRequest; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: SimulationRequest = { theme: draft.theme.trim(), industry: draft.industry.trim() };
  if (draft.kind === 'quick') {
    body.record_frequency = draft.record_frequency;
  } else {
    const total = draft.total_records.trim();
    if (/^\d+$/.test(total) && Number(total) >= 1 && Number(total) <= MAX_TOTAL_RECORDS) body.total_records = Number(total);
    else errors.total_records = [`Enter a whole number from 1 to ${formatCount(MAX_TOTAL_RECORDS)}.`];

    for (const [field, empty] of [
      ['starts_at', 'leave it empty to start when the simulation is created'],
      ['ends_at', 'leave it empty for 7 days after the start'],
    ] as const) {
      const value = draft[field].trim();
      if (!value) continue;
      const iso = localInputToIso(value);
      if (iso) body[field] = iso;
      else errors[field] = [`Enter a date and time, or ${empty}.`];
    }

    body.distribution = draft.distribution;
    if (draft.distribution === 'custom') {
      const parsed = parseWeights(draft.curve_weights);
      if ('weights' in parsed) body.curve_weights = parsed.weights;
      else errors.curve_weights = [parsed.error];
    }

    const zone = draft.timezone.trim();
    if (zone) body.timezone = zone;

    const seed = draft.seed.trim();
    if (seed) {
      if (/^\d+$/.test(seed) && BigInt(seed) <= MAX_SEED) body.seed = seed;
      else errors.seed = [`A whole number from 0 to ${MAX_SEED.toLocaleString('en')}, or leave it empty for a random one.`];
    }
  }
  const name = draft.name.trim();
  if (name) body.name = name;
  return { body, errors };
}
