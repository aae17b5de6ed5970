import type { Distribution, PreviewForecast, Simulation } from '../api/types';

/** The server's bounds (simulations/models.py, serializers.py). */
export const MAX_TOTAL_RECORDS = 1_000_000;
export const MAX_SEED = 2n ** 63n - 1n;
export const MIN_WEIGHTS = 2;
export const MAX_WEIGHTS = 1000;

interface CurveInfo {
  label: string;
  /** One line, in plain words: how the records spread over the window. */
  explanation: string;
}

// A Record so that a curve added to (or dropped from) the schema is a type error here.
const CURVE_INFO: Record<Distribution, CurveInfo> = {
  uniform: { label: 'Uniform', explanation: 'Evenly spread: the same pace from start to end.' },
  front_loaded: { label: 'Front-loaded', explanation: 'Most records early on, tapering off towards the end.' },
  back_loaded: { label: 'Back-loaded', explanation: 'A slow start, most records towards the end.' },
  bell_curve: { label: 'Bell curve', explanation: 'Builds up to a peak in the middle of the window, then eases off.' },
  random_bursts: {
    label: 'Random bursts',
    explanation: 'A few short spikes at moments the seed picks, over a thin steady trickle.',
  },
  business_hours: {
    label: 'Business hours',
    explanation: 'Only Monday to Friday, 9:00 to 17:00 in the time zone below; nothing at night or at weekends.',
  },
  weekend_surge: {
    label: 'Weekend surge',
    explanation: 'All week, three times as busy on Saturdays and Sundays (in the time zone below).',
  },
  custom: { label: 'Custom', explanation: 'Your own shape: weights spread evenly over the window, in order.' },
};

export const DISTRIBUTIONS = (Object.keys(CURVE_INFO) as Distribution[]).map((value) => ({ value, ...CURVE_INFO[value] }));
export const DEFAULT_DISTRIBUTION: Distribution = 'uniform';

export function isDistribution(value: string): value is Distribution {
  return value in CURVE_INFO;
}

/** "Bell curve"; an unknown value as it is. */
export function curveLabel(value: string | null | undefined): string {
  if (!value) return '—';
  return isDistribution(value) ? CURVE_INFO[value].label : value;
}

export function curveExplanation(value: string): string {
  return isDistribution(value) ? CURVE_INFO[value].explanation : '';
}

/** Whether the simulation has a planned schedule (total_records) rather than the original schedule's 5 jobs. */
export function isPlanned(sim: Pick<Simulation, 'total_records'>): sim is Pick<Simulation, 'total_records'> & { total_records: number } {
  return typeof sim.total_records === 'number';
}

// ---- time zones -------------------------------------------------------------------------------

/** The browser's IANA time zone, or UTC when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** The IANA zones this browser knows (for suggestions; the server has the last word). */
export function knownTimeZones(): string[] {
  let zones: string[] = [];
  try {
    zones = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/** Whether Intl can format in this zone (so the page can show times in it). */
export function isUsableTimeZone(zone: string): boolean {
  if (!zone.trim()) return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const usable = zone && isUsableTimeZone(zone) ? zone : undefined;
  const key = `${usable ?? ''}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(undefined, { ...options, timeZone: usable });
    formatters.set(key, found);
  }
  return found;
}

/** "1 May 2026, 09:00:12" in the zone (the browser's when the zone is unusable). */
export function formatInZone(value: string | Date, zone: string | undefined, { seconds = false } = {}): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(zone, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' }).format(date);
}

/** "1 May 2026" in the zone (the browser's when the zone is unusable). */
export function formatDateInZone(value: string | Date, zone: string | undefined): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(zone, { dateStyle: 'medium' }).format(date);
}

/** "Fri, 1 May 2026" in the zone (the browser's when the zone is unusable). */
export function formatDayInZone(value: string | Date, zone: string | undefined): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(zone, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(date);
}

/** "1 May 2026, 09:00 CEST": with the zone's short name, for a time shown apart from its zone. */
export function formatWithZone(value: string | Date, zone: string | undefined): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(zone, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(date);
}

// ---- the window: datetime-local inputs ---------------------------------------------------------

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/** "+02:00" for a Date in the browser's zone at that moment (so summer and winter time differ). */
export function browserOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * A datetime-local value ("2026-05-01T09:00", the browser's wall clock) as ISO 8601 with the
 * browser's UTC offset at that moment ("2026-05-01T09:00:00+02:00"); null when it is not one.
 */
export function localInputToIso(value: string): string | null {
  const match = LOCAL_INPUT.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  if (Number.isNaN(date.getTime())) return null;
  // A wall-clock time skipped by a change to summer time moves on by the gap; use the moved one.
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(
    date.getMinutes(),
  )}:${pad(date.getSeconds())}${browserOffset(date)}`;
}

/** A Date as a datetime-local value in the browser's zone ("2026-05-01T09:00"). */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "UTC+02:00" for the browser now: how the window's inputs are read. */
export function browserOffsetLabel(at: Date = new Date()): string {
  return `UTC${browserOffset(at)}`;
}

// ---- custom weights ---------------------------------------------------------------------------

/** "1, 3, 5" or "1 3 5" as numbers; an error in words for anything that is not a number. */
export function parseWeights(text: string): { weights: number[] } | { error: string } {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return { error: `Enter ${MIN_WEIGHTS} to ${MAX_WEIGHTS.toLocaleString('en')} numbers, e.g. 1, 3, 5, 3, 1.` };
  const weights: number[] = [];
  for (const part of parts) {
    const n = Number(part);
    if (!Number.isFinite(n)) return { error: `“${part.length > 20 ? `${part.slice(0, 20)}…` : part}” is not a number.` };
    weights.push(n);
  }
  return { weights };
}

/** "1,000" */
export function formatCount(n: number): string {
  return n.toLocaleString('en');
}

/**
 * What the preview forecasts of a run's deals, in words: "41 deals open before the window ends (14% of
 * 300 contacts); 6 won and 15 lost by then, 20 still open". deal_rate is of the contacts whose
 * funnel has the time, so a window short next to the sales cycle opens fewer: this says how many.
 */
export function dealsForecast(forecast: Pick<PreviewForecast, 'deals' | 'deals_won' | 'deals_lost'>, contacts: number): string {
  const { deals, deals_won: won, deals_lost: lost } = forecast;
  if (deals === 0) return 'No deal opens before the window ends.';
  const share = contacts > 0 ? ` (${formatShare(deals / contacts)} of ${formatCount(contacts)} ${contacts === 1 ? 'contact' : 'contacts'})` : '';
  const open = deals - won - lost;
  const opened = `${formatCount(deals)} ${deals === 1 ? 'deal opens' : 'deals open'} before the window ends${share}`;
  return `${opened}; ${formatCount(won)} won and ${formatCount(lost)} lost by then, ${formatCount(open)} still open.`;
}

/** "14%"; below 1% with one decimal ("0.4%"), so a few deals do not read as none. */
function formatShare(share: number): string {
  const percent = share * 100;
  return `${percent > 0 && percent < 1 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** "300 records · Bell curve" for lists. */
export function plannedSummary(sim: Pick<Simulation, 'total_records' | 'distribution'>): string {
  const total = sim.total_records ?? 0;
  return `${formatCount(total)} ${total === 1 ? 'record' : 'records'} · ${curveLabel(sim.distribution)}`;
}

/** "1 May 2026, 09:00 → 8 May 2026, 09:00" in the simulation's zone. */
export function plannedWindow(sim: Pick<Simulation, 'starts_at' | 'ends_at' | 'timezone'>): string {
  if (!sim.starts_at || !sim.ends_at) return '—';
  const zone = sim.timezone || 'UTC';
  return `${formatInZone(sim.starts_at, zone)} → ${formatInZone(sim.ends_at, zone)}`;
}
