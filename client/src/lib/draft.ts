import type { FieldErrors } from '../api/client';
import type { SimulationRequest } from '../api/types';
import type { SimulationDraft } from '../store';
import { CRM_DEFAULTS, MAX_CONTACTS_PER_COMPANY, MAX_SALES_CYCLE_DAYS } from './crm';
import { MAX_SEED, MAX_TOTAL_RECORDS, formatCount, localInputToIso, parseWeights } from './planned';

export const MAX_LENGTH = 255;

/** The planned run's fields, in the form's order: the schedule, then the CRM. */
export const PLAN_FIELDS = [
  'total_records',
  'starts_at',
  'ends_at',
  'distribution',
  'curve_weights',
  'timezone',
  'seed',
  'scenario',
  'contacts_per_company',
  'deal_rate',
  'win_rate',
  'sales_cycle_days',
  'activity_level',
] as const;

/**
 * The fields the form shows for a kind of run, in order (for focusing the first error): weights only
 * for the custom curve, contacts per company only in b2b (the default scenario).
 */
export function visibleFields(draft: Pick<SimulationDraft, 'kind' | 'distribution'> & Partial<Pick<SimulationDraft, 'scenario'>>): string[] {
  const plan = PLAN_FIELDS.filter(
    (f) => (f !== 'curve_weights' || draft.distribution === 'custom') && (f !== 'contacts_per_company' || draft.scenario !== 'b2c'),
  );
  return ['theme', 'industry', ...(draft.kind === 'original' ? ['record_frequency'] : plan), 'name', 'connection', 'email_domains'];
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
 * A planned run never carries record_frequency; the original schedule carries none of the planned fields.
 * `connection` goes with either, when one is picked.
 */
export function draftRequest(draft: SimulationDraft): { body: SimulationRequest; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: SimulationRequest = { theme: draft.theme.trim(), industry: draft.industry.trim() };
  if (draft.kind === 'original') {
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

    crmRequest(draft, body, errors);
  }
  const name = draft.name.trim();
  if (name) body.name = name;
  // Either kind of run may deliver to a connection; only one picked is sent.
  if (/^\d+$/.test(draft.connection)) body.connection = Number(draft.connection);
  // The server's default is reserved: an untouched form sends nothing.
  if (draft.email_domains === 'realistic') body.email_domains = 'realistic';
  return { body, errors };
}

const WHOLE = /^\d+$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/** A whole number typed, when it is one from min to max. */
function wholeNumber(value: string, min: number, max: number): number | null {
  const text = value.trim();
  if (!WHOLE.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** A percentage typed (0 to 100, decimals allowed) as a share from 0 to 1, to six decimals. */
export function percentToShare(value: string): number | null {
  const text = value.trim();
  if (!DECIMAL.test(text)) return null;
  const percent = Number(text);
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) return null;
  return Math.round(percent * 10_000) / 1_000_000;
}

/**
 * A planned run's CRM settings into the body: only those that differ from the server's defaults (so
 * an untouched form sends none of them), and never contacts_per_company with b2c (the server refuses it).
 */
function crmRequest(draft: SimulationDraft, body: SimulationRequest, errors: FieldErrors): void {
  const b2c = draft.scenario === 'b2c';
  if (draft.scenario !== CRM_DEFAULTS.scenario) body.scenario = draft.scenario;

  if (!b2c) {
    const perCompany = wholeNumber(draft.contacts_per_company, 1, MAX_CONTACTS_PER_COMPANY);
    if (perCompany === null) errors.contacts_per_company = [`Enter a whole number from 1 to ${MAX_CONTACTS_PER_COMPANY}.`];
    else if (perCompany !== CRM_DEFAULTS.contacts_per_company) body.contacts_per_company = perCompany;
  }

  for (const field of ['deal_rate', 'win_rate'] as const) {
    const share = percentToShare(draft[field]);
    if (share === null) errors[field] = ['Enter a percentage from 0 to 100.'];
    else if (share !== CRM_DEFAULTS[field]) body[field] = share;
  }

  const cycle = wholeNumber(draft.sales_cycle_days, 1, MAX_SALES_CYCLE_DAYS);
  if (cycle === null) errors.sales_cycle_days = [`Enter a whole number of days from 1 to ${MAX_SALES_CYCLE_DAYS}.`];
  else if (cycle !== CRM_DEFAULTS.sales_cycle_days) body.sales_cycle_days = cycle;

  // The server's default is normal: an untouched form sends nothing.
  if (draft.activity_level !== 'normal') body.activity_level = draft.activity_level;
}

/** The form's words for each field the server may name in a 400. */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  theme: 'Theme',
  industry: 'Industry',
  record_frequency: 'Frequency',
  name: 'Name',
  total_records: 'Number of records',
  starts_at: 'Window start',
  ends_at: 'Window end',
  distribution: 'Curve',
  curve_weights: 'Weights',
  timezone: 'Time zone',
  seed: 'Seed',
  scenario: 'Scenario',
  contacts_per_company: 'Contacts per company',
  deal_rate: 'Deal rate',
  win_rate: 'Win rate',
  sales_cycle_days: 'Sales cycle',
  activity_level: 'Activities',
  connection: 'Deliver to',
  email_domains: 'Email domains',
};

/** "Window start" for starts_at; a key the form does not know, with its underscores as spaces. */
export function fieldLabel(key: string): string {
  return FIELD_LABELS[key] ?? key.replace(/_/g, ' ');
}

/**
 * The body that asks the server to judge a draft the browser already found wrong: the good values
 * as they would be sent, the wrong ones as typed. The server then refuses those (the browser's own
 * words stay on them) and leaves out every check that depends on them, so what it says about the
 * other fields (a window too old) is true whatever the wrong ones become. The seed, which no other
 * check depends on, stays out: its JSON must be digits.
 */
export function checkBody(draft: SimulationDraft, body: SimulationRequest, errors: FieldErrors): SimulationRequest {
  const check: Record<string, unknown> = { ...body };
  for (const field of Object.keys(errors)) {
    if (field === 'seed') delete check.seed;
    else if (field in draft && field !== 'kind') check[field] = draft[field as keyof SimulationDraft];
  }
  // Typed as a request only to travel the same way; the server answers it with a 400.
  return check as SimulationRequest;
}

/**
 * The browser's errors and the server's, by field: the browser's win on a field both judged (the
 * server saw the value as typed), the server's stand for every field the browser had no word on.
 */
export function mergeErrors(local: FieldErrors, server: FieldErrors): FieldErrors {
  return { ...server, ...local };
}
