import type { Schemas } from '../api/types';

export type ConnectionKind = Schemas['ConnectionKindEnum'];

/**
 * The CRMs a connection can deliver to, as the connection form names them: the CRM, and what its secret is
 * called. A Record, so that a kind added to (or dropped from) the schema is a type error here.
 */
const KINDS: Record<ConnectionKind, { label: string; secret: string; account: string }> = {
  hubspot: { label: 'HubSpot', secret: 'token', account: 'portal' },
  salesforce: { label: 'Salesforce', secret: 'client secret', account: 'org' },
};

export const CONNECTION_KIND_OPTIONS = (Object.keys(KINDS) as ConnectionKind[]).map((value) => ({
  value,
  label: KINDS[value].label,
}));

export function isConnectionKind(value: string): value is ConnectionKind {
  return value in KINDS;
}

/** "HubSpot", "Salesforce"; an unknown kind as it is. */
export function crmLabel(kind: string): string {
  return isConnectionKind(kind) ? KINDS[kind].label : kind;
}

/** "HubSpot portal", "Salesforce org": the account a connection delivers to. */
export function crmAccount(kind: string): string {
  return isConnectionKind(kind) ? `${KINDS[kind].label} ${KINDS[kind].account}` : kind;
}

/** "HubSpot or Salesforce". */
export const CRM_NAMES = CONNECTION_KIND_OPTIONS.map((option) => option.label).join(' or ');

/** What the connection's secret is called: "token", "client secret". */
export function secretName(kind: string): string {
  return isConnectionKind(kind) ? KINDS[kind].secret : 'secret';
}

/** Where `python manage.py salesforce_standin` serves its stand-in of a Salesforce org, and what it accepts. */
export const SALESFORCE_STANDIN = {
  command: 'python manage.py salesforce_standin',
  instanceUrl: 'http://127.0.0.1:8766',
};
/** The share of the org's remaining daily API allocation SimCRM may use, unless the connection says otherwise. */
export const DEFAULT_DAILY_SHARE = 0.5;

/**
 * A record's page for a CRM whose records live at `<address>/<id>` (a Salesforce org, whose stand-in answers
 * there with the record); null for a CRM whose record pages are built otherwise (HubSpot).
 */
export function recordUrlById(kind: string, baseUrl: string, id: string): string | null {
  return kind === 'salesforce' ? `${baseUrl.replace(/\/+$/, '')}/${id}` : null;
}

/** The CRM itself (a Salesforce org's own address), not a stand-in. */
export function isCrmItself(kind: string, baseUrl: string): boolean {
  try {
    return kind === 'salesforce' && new URL(baseUrl).hostname.endsWith('.salesforce.com');
  } catch {
    return false;
  }
}
