import type { Connection, ConnectionStatus, Simulation, SyncStatus, Tier } from '../api/types';
import { crmLabel, isCrmItself, recordUrlById, secretName } from './connectionKinds';
import { formatCount } from './planned';
import { humanizeMinutes } from './schedule';
import type { RecordKindId } from '../records/kinds';

/** HubSpot's API: a connection's base URL when none is given. */
export const DEFAULT_BASE_URL = 'https://api.hubapi.com';
/** Where `python manage.py hubspot_standin` serves its stand-in of HubSpot. */
export const STANDIN_BASE_URL = 'http://127.0.0.1:8765';
export const STANDIN_COMMAND = 'python manage.py hubspot_standin';

// ---- connections ------------------------------------------------------------------------------

// Records, so that a status or tier added to (or dropped from) the schema is a type error here.
const CONNECTION_STATUSES: Record<ConnectionStatus, { label: string; explanation: (crm: string, secret: string) => string }> = {
  ok: { label: 'Connected', explanation: (crm, secret) => `${crm} accepts the ${secret}: records are delivered as they are made.` },
  invalid: {
    label: 'Token refused',
    explanation: (crm, secret) => `${crm} refused the ${secret}: deliveries are held until you fix it.`,
  },
  rate_limited: {
    label: 'Daily limit reached',
    explanation: (crm) => `${crm}'s daily limit is reached: deliveries resume when ${crm} accepts again.`,
  },
};

function isConnectionStatus(value: string): value is ConnectionStatus {
  return value in CONNECTION_STATUSES;
}

/** "Token refused"; an unknown status as it is. */
export function connectionStatusLabel(status: string): string {
  return isConnectionStatus(status) ? CONNECTION_STATUSES[status].label : status;
}

/** What a status means for deliveries, in a sentence, for a connection of this kind (HubSpot unless given). */
export function connectionStatusExplanation(status: string, kind = 'hubspot'): string {
  return isConnectionStatus(status) ? CONNECTION_STATUSES[status].explanation(crmLabel(kind), secretName(kind)) : '';
}

/** Deliveries are held (nothing is dropped) while the token is refused or the daily limit is reached. */
export function isHeld(status: string): boolean {
  return status === 'invalid' || status === 'rate_limited';
}

const TIERS: Record<Tier, { label: string; option: string }> = {
  starter: { label: 'Free or Starter', option: 'Free or Starter (100 requests per 10 s)' },
  professional: { label: 'Professional', option: 'Professional (190 requests per 10 s)' },
  enterprise: { label: 'Enterprise', option: 'Enterprise (190 requests per 10 s)' },
  org: { label: "The org's daily allocation", option: "The org's daily API allocation" },
};

export const DEFAULT_TIER: Tier = 'starter';
/** HubSpot's tiers (the others are other CRMs': `org`, an allocation the CRM reports itself). */
const HUBSPOT_TIERS: readonly Tier[] = ['starter', 'professional', 'enterprise'];
export const TIER_OPTIONS = HUBSPOT_TIERS.map((value) => ({ value, label: TIERS[value].option }));

export function isTier(value: string): value is Tier {
  return value in TIERS;
}

export function tierLabel(tier: string): string {
  return isTier(tier) ? TIERS[tier].label : tier;
}

/** The token as the server lets us see it: "••••cdef". */
export function maskedToken(last4: string): string {
  return `••••${last4}`;
}

/** HubSpot itself (its app has record pages), not a stand-in or another address. */
export function isHubSpotApi(baseUrl: string): boolean {
  try {
    const url = new URL(baseUrl);
    return url.origin === DEFAULT_BASE_URL && (url.pathname === '/' || url.pathname === '');
  } catch {
    return false;
  }
}

// ---- records in the CRM -----------------------------------------------------------------------

/** A record kind as a CRM object (records/kinds.ts). */
export type CrmObject = RecordKindId;

/** HubSpot's object type ids, as its record pages name them. */
const OBJECT_TYPE_IDS: Record<CrmObject, string> = { contacts: '0-1', companies: '0-2', deals: '0-3' };

/**
 * Where a delivered record can be seen: its page in HubSpot's app for a connection to HubSpot
 * (null while the portal id is unknown), else the object in the connection's API (the stand-in).
 */
export function crmRecordUrl(
  connection: Pick<Connection, 'base_url' | 'portal_id'> & { kind?: string },
  object: CrmObject,
  crmId: string,
): string | null {
  const id = encodeURIComponent(crmId);
  const byId = recordUrlById(connection.kind ?? 'hubspot', connection.base_url, id);
  if (byId !== null) return byId;
  if (isHubSpotApi(connection.base_url)) {
    return connection.portal_id === null
      ? null
      : `https://app.hubspot.com/contacts/${connection.portal_id}/record/${OBJECT_TYPE_IDS[object]}/${id}`;
  }
  return `${connection.base_url.replace(/\/+$/, '')}/crm/v3/objects/${object}/${id}`;
}

/** What a record's link says: "Open in HubSpot", or where it goes for another address. */
export function crmLinkLabel(baseUrl: string, kind = 'hubspot'): string {
  if (isHubSpotApi(baseUrl)) return 'Open in HubSpot';
  if (isCrmItself(kind, baseUrl)) return `Open in ${crmLabel(kind)}`;
  try {
    return `Open at ${new URL(baseUrl).host}`;
  } catch {
    return 'Open record';
  }
}

const SYNC_LABELS: Record<SyncStatus, string> = {
  pending: 'Pending',
  synced: 'Delivered',
  failed: 'Failed',
};

export function syncStatusLabel(status: string): string {
  return status in SYNC_LABELS ? SYNC_LABELS[status as SyncStatus] : status;
}

// ---- a simulation's deliveries ----------------------------------------------------------------

export interface Deliveries {
  pending: number;
  synced: number;
  failed: number;
}

/** The simulation's records per delivery status (missing ones 0); null without a connection. */
export function deliveryCounts(sim: Pick<Simulation, 'delivery'> | null | undefined): Deliveries | null {
  const counts = sim?.delivery;
  if (!counts) return null;
  return { pending: counts.pending ?? 0, synced: counts.synced ?? 0, failed: counts.failed ?? 0 };
}

/**
 * The time the connection's limit implies for a number of requests: "under a second",
 * "40 seconds", "about 2 minutes 30 seconds", "about 1 hour 5 minutes".
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return 'none';
  if (seconds < 1) return 'under a second';
  const whole = Math.round(seconds);
  if (whole < 60) return `${formatCount(whole)} ${whole === 1 ? 'second' : 'seconds'}`;
  if (whole < 3600) {
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return `about ${humanizeMinutes(minutes)}${rest ? ` ${rest} ${rest === 1 ? 'second' : 'seconds'}` : ''}`;
  }
  return `about ${humanizeMinutes(whole / 60)}`;
}
