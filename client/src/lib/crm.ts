import type { ActivityLevel, DealStage, LifecycleStage, RecordEvent, Scenario, Simulation } from '../api/types';
import { formatCount, isPlanned } from './planned';

// ---- stages -----------------------------------------------------------------------------------

// Records, in funnel order, so that a stage added to (or dropped from) the schema is a type error here.
const LIFECYCLE_LABELS: Record<LifecycleStage, string> = {
  subscriber: 'Subscriber',
  lead: 'Lead',
  marketingqualifiedlead: 'Marketing qualified lead',
  salesqualifiedlead: 'Sales qualified lead',
  opportunity: 'Opportunity',
  customer: 'Customer',
  evangelist: 'Evangelist',
  other: 'Other',
};

const DEAL_STAGE_LABELS: Record<DealStage, string> = {
  appointmentscheduled: 'Appointment scheduled',
  qualifiedtobuy: 'Qualified to buy',
  presentationscheduled: 'Presentation scheduled',
  decisionmakerboughtin: 'Decision maker bought in',
  contractsent: 'Contract sent',
  closedwon: 'Closed won',
  closedlost: 'Closed lost',
};

/** HubSpot's lifecycle stages, in the order a contact moves through them. */
export const LIFECYCLE_STAGES = Object.keys(LIFECYCLE_LABELS) as readonly LifecycleStage[];
/** The default pipeline's deal stages, open ones first, then won and lost. */
export const DEAL_STAGES = Object.keys(DEAL_STAGE_LABELS) as readonly DealStage[];
/** Deal stages after which nothing moves. */
export const CLOSED_DEAL_STAGES: readonly DealStage[] = ['closedwon', 'closedlost'];

function isLifecycleStage(value: string): value is LifecycleStage {
  return value in LIFECYCLE_LABELS;
}

function isDealStage(value: string): value is DealStage {
  return value in DEAL_STAGE_LABELS;
}

/** "Marketing qualified lead"; an unknown value as it is. */
export function lifecycleLabel(value: string | null | undefined): string {
  if (!value) return '—';
  return isLifecycleStage(value) ? LIFECYCLE_LABELS[value] : value;
}

/** "Closed won"; an unknown value as it is. */
export function dealStageLabel(value: string | null | undefined): string {
  if (!value) return '—';
  return isDealStage(value) ? DEAL_STAGE_LABELS[value] : value;
}

/** An event's stage, labelled for its property. */
export function eventStageLabel(property: RecordEvent['property'], value: string | null): string {
  return property === 'dealstage' ? dealStageLabel(value) : lifecycleLabel(value);
}

// ---- money ------------------------------------------------------------------------------------

const moneyFormats = new Map<string, Intl.NumberFormat | null>();

function moneyFormat(currency: string): Intl.NumberFormat | null {
  const code = currency.trim().toUpperCase();
  if (!moneyFormats.has(code)) {
    let format: Intl.NumberFormat | null = null;
    try {
      format = new Intl.NumberFormat('en', { style: 'currency', currency: code, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      format = null;
    }
    moneyFormats.set(code, format);
  }
  return moneyFormats.get(code) ?? null;
}

/** A decimal string ("12500.00") as money: "$12,500.00"; an unknown currency code after the number. */
export function formatMoney(amount: string | number, currency = 'USD'): string {
  const n = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  const format = moneyFormat(currency || 'USD');
  if (format) return format.format(n);
  return `${n.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
}

// ---- a simulation's CRM -----------------------------------------------------------------------

/** The server's defaults and bounds for the CRM create fields. */
export const CRM_DEFAULTS = {
  scenario: 'b2b' as Scenario,
  contacts_per_company: 3,
  deal_rate: 0.3,
  win_rate: 0.25,
  sales_cycle_days: 30,
};
export const MAX_CONTACTS_PER_COMPANY = 50;
export const MAX_SALES_CYCLE_DAYS = 365;

const SCENARIOS: Record<Scenario, { label: string; explanation: string }> = {
  b2b: { label: 'B2B', explanation: 'Contacts work for companies: each company has a few of them, and deals belong to both.' },
  b2c: { label: 'B2C', explanation: 'Contacts buy for themselves: no companies, deals belong to a contact only.' },
};
export const SCENARIO_OPTIONS = (Object.keys(SCENARIOS) as Scenario[]).map((value) => ({ value, ...SCENARIOS[value] }));

/** The activity levels of a planned run, in the form's words; normal is the server's default. */
export const ACTIVITY_LEVELS: readonly { value: ActivityLevel; label: string }[] = [
  { value: 'none', label: 'None: stages only' },
  { value: 'light', label: 'Light: the story’s milestones' },
  { value: 'normal', label: 'Normal (default)' },
  { value: 'busy', label: 'Busy: more nurture emails, follow-ups and check-ins' },
];

export function isActivityLevel(value: string): value is ActivityLevel {
  return ACTIVITY_LEVELS.some((level) => level.value === value);
}

export function isScenario(value: string): value is Scenario {
  return value in SCENARIOS;
}

export function scenarioLabel(value: string | null | undefined): string {
  if (!value) return '—';
  return isScenario(value) ? SCENARIOS[value].label : value;
}

export function scenarioExplanation(value: string): string {
  return isScenario(value) ? SCENARIOS[value].explanation : '';
}

type CrmSim = Pick<Simulation, 'total_records' | 'scenario'>;

/** Deals (and lifecycle moves past lead) come with planned simulations only. */
export function hasDeals(sim: CrmSim): boolean {
  return isPlanned(sim);
}

/** Companies: planned b2b simulations (b2b is the default scenario). */
export function hasCompanies(sim: CrmSim): boolean {
  return isPlanned(sim) && sim.scenario !== 'b2c';
}

/** "30%" for 0.3 (no trailing zeros: 12.5%). */
export function formatPercent(share: number): string {
  return `${Number((share * 100).toFixed(2)).toLocaleString('en')}%`;
}

/** "B2B · about 3 contacts per company · 30% of contacts open a deal · 25% of deals won · 30-day sales cycle". */
export function crmSummary(
  sim: Pick<Simulation, 'scenario' | 'contacts_per_company' | 'deal_rate' | 'win_rate' | 'sales_cycle_days'>,
): string {
  const parts = [scenarioLabel(sim.scenario ?? CRM_DEFAULTS.scenario)];
  if (sim.scenario !== 'b2c' && typeof sim.contacts_per_company === 'number') {
    parts.push(`about ${formatCount(sim.contacts_per_company)} ${sim.contacts_per_company === 1 ? 'contact' : 'contacts'} per company`);
  }
  if (typeof sim.deal_rate === 'number') parts.push(`${formatPercent(sim.deal_rate)} of contacts open a deal`);
  if (typeof sim.win_rate === 'number') parts.push(`${formatPercent(sim.win_rate)} of deals won`);
  if (typeof sim.sales_cycle_days === 'number') parts.push(`${formatCount(sim.sales_cycle_days)}-day sales cycle`);
  return parts.join(' · ');
}
