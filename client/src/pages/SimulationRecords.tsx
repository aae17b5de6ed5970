import { useMemo, useState, type ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { toPath } from '../api/client';
import {
  activitiesUrl,
  isLive,
  needsRefresh,
  recordListUrl,
  useActivityWeeks,
  useContactIndex,
  useDealIndex,
  useSimulationActivities,
  useSimulationFunnel,
  useSimulationRecords,
  type ActivityFilter,
  type RecordListKind,
} from '../api/hooks';
import type { ActivityKind, Company, Connection, Contact, Deal, Job, Page, Simulation } from '../api/types';
import { ActivityTimeline } from '../components/ActivityTimeline';
import { ActivityList, type RecordNamer } from '../components/ActivityList';
import { SyncStatusChip } from '../components/DeliveryChips';
import { FunnelChart } from '../components/FunnelChart';
import { jobTotals } from '../components/JobProgress';
import { Pager } from '../components/Pager';
import { RecordTable, type Column } from '../components/RecordTable';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { Tabs, type TabItem } from '../components/Tabs';
import { Timestamp, simulationZone } from '../components/Timestamp';
import { formatPercent, hasCompanies, hasDeals, dealStageLabel, formatMoney, lifecycleLabel } from '../lib/crm';
import { formatRelative, plural } from '../lib/format';
import { crmLabel } from '../lib/connectionKinds';
import { crmLinkLabel, crmRecordUrl, type CrmObject } from '../lib/hubspot';
import { formatCount, formatInZone, isPlanned } from '../lib/planned';
import { ACTIVITY_KINDS, exportUrl, hasActivities, recordKindsOf, type RecordKindId } from '../records/kinds';

export type RecordTab = RecordKindId | 'activities' | 'activity' | 'funnel';

/**
 * The tabs a simulation has: its record kinds (records/kinds.ts), its activities (emails, calls, meetings,
 * notes and tasks) when its timeline has them, its stage changes and its funnel.
 */
export function recordTabs(sim: Pick<Simulation, 'total_records' | 'scenario' | 'activity_level'>): TabItem<RecordTab>[] {
  return [
    ...recordKindsOf(sim).map((kind) => ({ id: kind.id, label: kind.label })),
    ...(hasActivities(sim) ? [{ id: 'activities' as const, label: 'Activities' }] : []),
    { id: 'activity', label: 'Stage changes' },
    { id: 'funnel', label: 'Funnel' },
  ];
}

const TAB_PARAM = 'tab';

/** The tab in the address (?tab=funnel), so a reload or a shared link opens it; contacts by default. */
function useSelectedTab(tabs: readonly TabItem<RecordTab>[]): [RecordTab, (tab: RecordTab) => void] {
  const [params, setParams] = useSearchParams();
  const asked = params.get(TAB_PARAM);
  const selected = tabs.find((t) => t.id === asked)?.id ?? 'contacts';
  const select = (tab: RecordTab) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (tab === 'contacts') next.delete(TAB_PARAM);
        else next.set(TAB_PARAM, tab);
        return next;
      },
      { replace: true },
    );
  return [selected, select];
}

/**
 * A simulation's CRM records in tabs: contacts, companies, deals, the activity (every stage move) and
 * the funnel, with CSV downloads. Each tab fetches the page it shows when it is shown, and polls
 * while the simulation is live (contacts, companies and deals also while deliveries are pending, for
 * their HubSpot column). Every time is in the simulation's zone. `jobs`: the page of jobs shown
 * (for the hint while no contact exists). `connection`: the simulation's (undefined while it
 * loads), null when it has none (and then no HubSpot column).
 */
export function SimulationRecords({
  sim,
  jobs,
  connection,
}: {
  sim: Simulation;
  jobs: Job[] | undefined;
  connection: Connection | null | undefined;
}) {
  const id = String(sim.id);
  const live = isLive(sim);
  const poll = needsRefresh(sim);
  const crm = useMemo<CrmTarget | null>(() => (connection === null ? null : { connection }), [connection]);
  const tabs = recordTabs(sim);
  const [tab, setTab] = useSelectedTab(tabs);
  // The page of each list being viewed (a DRF page link; null: the first), kept across tab switches.
  const [pages, setPages] = useState<Record<RecordListKind, string | null>>({ contacts: null, companies: null, deals: null, events: null });
  const onPage = (kind: RecordListKind) => (url: string | null) => setPages((p) => ({ ...p, [kind]: url }));
  const zone = simulationZone(sim);

  return (
    <section aria-labelledby="records-title" className="card records" data-testid="records">
      <div className="records-head">
        <h2 id="records-title">Records</h2>
        <ExportLinks sim={sim} />
      </div>
      <RecordsNote sim={sim} />
      <Tabs label="Records" tabs={tabs} selected={tab} onSelect={setTab}>
        {(current) => {
          switch (current) {
            case 'contacts':
              return (
                <ContactsPanel sim={sim} poll={poll} zone={zone} url={pages.contacts} onPage={onPage('contacts')} jobs={jobs} crm={crm} />
              );
            case 'companies':
              return (
                <CompaniesPanel
                  id={id}
                  live={live}
                  poll={poll}
                  zone={zone}
                  url={pages.companies}
                  onPage={onPage('companies')}
                  crm={crm}
                />
              );
            case 'deals':
              return (
                <DealsPanel
                  sim={sim}
                  live={live}
                  poll={poll}
                  crm={crm}
                  zone={zone}
                  url={pages.deals}
                  onPage={onPage('deals')}
                />
              );
            case 'activities':
              return <ActivitiesPanel sim={sim} live={live} zone={zone} />;
            case 'activity':
              return (
                <ActivityPanel
                  sim={sim}
                  live={live}
                  zone={zone}
                  url={pages.events}
                  onPage={onPage('events')}
                />
              );
            case 'funnel':
              return <FunnelPanel sim={sim} live={live} />;
          }
        }}
      </Tabs>
    </section>
  );
}

/** Why a tab is missing: the original schedule has no companies or deals, b2c no companies. */
function RecordsNote({ sim }: { sim: Simulation }) {
  let note: string | null = null;
  if (!isPlanned(sim)) note = 'The original schedule makes contacts only: no companies or deals. A planned run has the whole CRM.';
  else if (!hasCompanies(sim)) note = 'B2C: contacts buy for themselves, so there are no companies.';
  if (!note) return null;
  return (
    <p className="muted small records-note" data-testid="records-note">
      {note}
    </p>
  );
}

/** CSV downloads through the export URL (plain links: the session cookie signs them). Planned runs only. */
function ExportLinks({ sim }: { sim: Simulation }) {
  if (!isPlanned(sim)) return null;
  const links: { object: RecordKindId | ActivityKind | 'outcomes'; label: string }[] = [
    ...recordKindsOf(sim).map((kind) => ({ object: kind.id, label: kind.csv })),
    ...(hasActivities(sim) ? ACTIVITY_KINDS.map((kind) => ({ object: kind.id, label: kind.csv })) : []),
    // The answer key: what the timeline plans for every contact and deal by the window's end.
    { object: 'outcomes', label: 'Answer key CSV' },
  ];
  return (
    <div className="exports" role="group" aria-label="Download as CSV">
      <span className="muted small" aria-hidden="true">
        Download:
      </span>
      {links.map((l) => (
        <a key={l.object} className="btn btn-small" href={exportUrl(sim.id, l.object)} download data-testid={`export-${l.object}`}>
          {l.label}
        </a>
      ))}
    </div>
  );
}

// ---- shared bits ------------------------------------------------------------------------------

function text(value: string | null | undefined): string {
  return value?.trim() || '—';
}

/** A record's instant in the simulated timeline, and under it when SimCRM made it. */
function timelineColumn<T extends { occurred_at: string | null; created_at: string }>(
  zone: string,
  createdTestId = 'record-created',
): Column<T> {
  return {
    key: 'occurred_at',
    label: 'In timeline',
    value: (r) => (
      <div>
        <Timestamp value={r.occurred_at} zone={zone} />
        <span className="muted small block" data-testid={createdTestId}>
          made <Timestamp value={r.created_at} zone={zone} />
        </span>
      </div>
    ),
  };
}

/** Where a simulation's records are delivered; `connection` undefined while it loads (no links yet). */
interface CrmTarget {
  connection: Pick<Connection, 'base_url' | 'portal_id' | 'kind'> | undefined;
}

type Delivered = Pick<Contact, 'crm_id' | 'sync_status' | 'sync_error'>;

/** The CRM's column: the record's delivery status (a failure's reason as its title) and, once delivered, a link to it. */
function hubspotColumn<T extends Delivered>(object: CrmObject, crm: CrmTarget): Column<T> {
  return {
    key: 'hubspot',
    label: crmLabel(crm.connection?.kind ?? 'hubspot'),
    value: (r) => {
      const url = r.crm_id && crm.connection ? crmRecordUrl(crm.connection, object, r.crm_id) : null;
      if (!r.sync_status && !url) return '—';
      return (
        <div className="sync-cell">
          {r.sync_status && <SyncStatusChip status={r.sync_status} error={r.sync_error} />}
          {url && crm.connection && (
            <a className="small block" href={url} target="_blank" rel="noreferrer" data-testid="crm-link">
              {crmLinkLabel(crm.connection.base_url, crm.connection.kind)}
            </a>
          )}
        </div>
      );
    },
  };
}

function contactName(c: Pick<Contact, 'firstname' | 'lastname' | 'email'>): string | null {
  return [c.firstname, c.lastname].filter((p) => p?.trim()).join(' ').trim() || c.email?.trim() || null;
}

/** The states of a paged list: loading, failed, empty, or the rows with a pager under them. */
function PagedList<T>({
  query,
  what,
  empty,
  onPage,
  children,
}: {
  query: UseQueryResult<Page<T>>;
  what: string;
  empty: ReactNode;
  onPage: (url: string | null) => void;
  children: (page: Page<T>) => ReactNode;
}) {
  if (query.isPending) return <Loading label={`Loading ${what}…`} />;
  if (query.isError && !query.data) {
    return <ErrorState title={`Could not load ${what}`} error={query.error} onRetry={() => void query.refetch()} />;
  }
  const page = query.data;
  if (page.results.length === 0) {
    if (page.previous) {
      return (
        <EmptyState title="This page is empty">
          <button type="button" className="btn" onClick={() => onPage(null)}>
            Back to the first page
          </button>
        </EmptyState>
      );
    }
    return <>{empty}</>;
  }
  return (
    <>
      {query.isError && (
        <p className="alert alert-warning" role="status">
          Live updates paused: the last refresh failed. Retrying…
        </p>
      )}
      {children(page)}
      <Pager
        label={`Pages of ${what}`}
        count={page.count}
        next={page.next}
        previous={page.previous}
        onPage={(url) => onPage(toPath(url))}
      />
    </>
  );
}

// ---- contacts ---------------------------------------------------------------------------------

function noContactsHint(sim: Simulation, jobs: Job[] | undefined, zone: string): string {
  const { failed, active } = jobTotals(sim.job_counts);
  if (failed > 0 && active === 0) {
    return `No contacts were created: ${failed === 1 ? 'its job' : `${failed} of its jobs`} failed. See the error above.`;
  }
  if (!isLive(sim)) return 'This simulation did not create any contacts.';
  const next = jobs?.find((j) => j.status === 'pending' || j.status === 'processing');
  const which = failed > 0 ? 'next' : 'first';
  if (next?.status === 'processing') return `The ${which} contact is being created right now…`;
  if (next) {
    return `The ${which} contact is due ${formatRelative(next.scheduled_for)} (${formatInZone(next.scheduled_for, zone)}, ${zone}). This page updates by itself.`;
  }
  return 'Contacts appear here as jobs complete. This page updates by itself.';
}

function ContactsPanel({
  sim,
  poll,
  zone,
  url,
  onPage,
  jobs,
  crm,
}: {
  sim: Simulation;
  /** Refresh the page shown: while live, or while deliveries are pending. */
  poll: boolean;
  zone: string;
  url: string | null;
  onPage: (url: string | null) => void;
  jobs: Job[] | undefined;
  crm: CrmTarget | null;
}) {
  const query = useSimulationRecords(String(sim.id), 'contacts', url, { live: poll });
  const planned = isPlanned(sim);
  return (
    <PagedList
      query={query}
      what="contacts"
      onPage={onPage}
      empty={
        <EmptyState title="No contacts yet">
          <p className="muted">{noContactsHint(sim, jobs, zone)}</p>
        </EmptyState>
      }
    >
      {(page) => (
        <>
          <p className="muted small panel-meta" data-testid="contacts-count">
            {plural(page.count, 'contact', 'contacts')}, {planned ? 'in timeline order' : 'oldest first'} ({zone})
          </p>
          {planned && (
            <p className="muted small" data-testid="timeline-note">
              In timeline: each contact’s instant in the simulated timeline, and under it when SimCRM made it.
            </p>
          )}
          <ContactsTable
            contacts={page.results}
            planned={planned}
            zone={zone}
            industry={sim.industry}
            crm={crm}
            activities={hasActivities(sim)}
          />
        </>
      )}
    </PagedList>
  );
}

type ContactColumn = Column<Contact>;

/** Two facts in one cell, the second under the first (to keep the table within the page's width). */
function stacked(first: ReactNode, second: string | null | undefined): ReactNode {
  const under = second?.trim();
  return (
    <div>
      {first}
      {under && <span className="muted small block">{under}</span>}
    </div>
  );
}

/** A record's name, and where its timeline has activities, a link to them (?tab=activities&contact=…). */
function timelineLink(name: string, filter: 'contact' | 'deal', id: number, activities: boolean): ReactNode {
  if (!activities) return name;
  return (
    <Link to={`?tab=activities&${filter}=${id}`} title={`Show the activities of ${name}`} data-testid="timeline-link">
      {name}
    </Link>
  );
}

function contactColumns(zone: string, activities = false): ContactColumn[] {
  return [
    {
      key: 'name',
      label: 'Name and email',
      value: (c) => stacked(timelineLink(text([c.firstname, c.lastname].filter(Boolean).join(' ')), 'contact', c.id, activities), c.email),
    },
    { key: 'phone', label: 'Phone', value: (c) => text(c.phone) },
    { key: 'jobtitle', label: 'Job title and company', value: (c) => stacked(text(c.jobtitle), c.company) },
    {
      key: 'lifecyclestage',
      label: 'Lifecycle stage',
      value: (c) => (
        <span className={`stage stage-${String(c.lifecyclestage)}`} data-stage={c.lifecyclestage}>
          {lifecycleLabel(c.lifecyclestage)}
        </span>
      ),
    },
    { key: 'industry', label: 'Industry', value: (c) => text(c.industry) },
    { key: 'location', label: 'Location', value: (c) => text([c.city?.trim(), c.country?.trim()].filter(Boolean).join(', ')) },
    {
      key: 'source',
      label: 'Source',
      value: (c) => <span className={`tag tag-${String(c.source)}`}>{String(c.source ?? '—')}</span>,
    },
    { key: 'created_at', label: 'Created', value: (c) => <Timestamp value={c.created_at} zone={zone} /> },
  ];
}

/**
 * One page of contacts, times in `zone`; in a planned simulation their instant in the timeline
 * comes first, and the industry column goes when it only repeats the simulation's (to keep the width).
 */
function ContactsTable({
  contacts,
  planned,
  zone,
  industry,
  crm,
  activities,
}: {
  contacts: Contact[];
  planned: boolean;
  zone: string;
  industry: string;
  crm: CrmTarget | null;
  /** Whether the timeline has activities: each name links to its contact's. */
  activities: boolean;
}) {
  const sameIndustry = contacts.every((c) => c.industry.trim() === industry.trim());
  const all = contactColumns(zone, activities);
  // A planned simulation: its instant in the timeline first, and when SimCRM made it under that
  // (one column for both, so the table keeps its width).
  const base: ContactColumn[] = planned
    ? [timelineColumn<Contact>(zone, 'contact-created'), ...all.filter((c) => c.key !== 'created_at' && !(sameIndustry && c.key === 'industry'))]
    : all;
  const columns = crm ? [...base, hubspotColumn<Contact>('contacts', crm)] : base;
  return (
    <RecordTable
      columns={columns}
      rows={contacts}
      rowKey={(contact) => contact.id}
      caption={<>Contacts created by this simulation, {planned ? 'in timeline order' : 'oldest first'}</>}
      testId="contacts-table"
      rowTestId="contact-row"
    />
  );
}

// ---- companies --------------------------------------------------------------------------------

function companyColumns(zone: string, crm: CrmTarget | null): Column<Company>[] {
  const columns: Column<Company>[] = [
    timelineColumn<Company>(zone),
    { key: 'name', label: 'Name', value: (c) => text(c.name) },
    { key: 'domain', label: 'Domain', value: (c) => text(c.domain) },
    { key: 'industry', label: 'Industry', value: (c) => text(c.industry) },
    { key: 'location', label: 'Location', value: (c) => text([c.city?.trim(), c.country?.trim()].filter(Boolean).join(', ')) },
    { key: 'employees', label: 'Employees', value: (c) => (typeof c.employees === 'number' ? formatCount(c.employees) : '—') },
    {
      key: 'source',
      label: 'Source',
      value: (c) => <span className={`tag tag-${String(c.source)}`}>{String(c.source ?? '—')}</span>,
    },
  ];
  return crm ? [...columns, hubspotColumn<Company>('companies', crm)] : columns;
}

function CompaniesPanel({
  id,
  live,
  poll,
  zone,
  url,
  onPage,
  crm,
}: {
  id: string;
  live: boolean;
  /** Refresh the page shown: while live, or while deliveries are pending. */
  poll: boolean;
  zone: string;
  url: string | null;
  onPage: (url: string | null) => void;
  crm: CrmTarget | null;
}) {
  const query = useSimulationRecords(id, 'companies', url, { live: poll });
  const columns = useMemo(() => companyColumns(zone, crm), [zone, crm]);
  return (
    <PagedList
      query={query}
      what="companies"
      onPage={onPage}
      empty={
        <EmptyState title="No companies yet">
          <p className="muted">
            {live
              ? 'Companies appear as the simulation creates contacts to work for them. This page updates by itself.'
              : 'This simulation did not create any companies.'}
          </p>
        </EmptyState>
      }
    >
      {(page) => (
        <>
          <p className="muted small panel-meta" data-testid="companies-count">
            {plural(page.count, 'company', 'companies')}, in timeline order ({zone})
          </p>
          <RecordTable
            columns={columns}
            rows={page.results}
            rowKey={(c) => c.id}
            caption={<>Companies created by this simulation, in timeline order</>}
            testId="companies-table"
            rowTestId="company-row"
          />
        </>
      )}
    </PagedList>
  );
}

// ---- deals ------------------------------------------------------------------------------------

const NO_CONTACTS: ReadonlyMap<number, Contact> = new Map();

function dealColumns(
  zone: string,
  contactsById: ReadonlyMap<number, Contact>,
  crm: CrmTarget | null,
  activities: boolean,
): Column<Deal>[] {
  const columns: Column<Deal>[] = [
    timelineColumn<Deal>(zone),
    { key: 'name', label: 'Name', value: (d) => timelineLink(text(d.name), 'deal', d.id, activities) },
    { key: 'amount', label: 'Amount', value: (d) => formatMoney(d.amount, d.currency) },
    {
      key: 'dealstage',
      label: 'Stage',
      value: (d) => (
        <span className={`stage stage-${String(d.dealstage)}`} data-stage={d.dealstage}>
          {dealStageLabel(d.dealstage)}
        </span>
      ),
    },
    {
      key: 'closedate',
      label: 'Close date',
      value: (d) => <Timestamp value={d.closedate} zone={zone} dateOnly />,
    },
    {
      key: 'contact',
      label: 'Contact',
      value: (d) => {
        const contact = contactsById.get(d.contact);
        const name = (contact && contactName(contact)) ?? `Contact #${d.contact}`;
        const company = contact?.company?.trim();
        return (
          <div>
            {name}
            {company && <span className="muted small block">{company}</span>}
          </div>
        );
      },
    },
  ];
  return crm ? [...columns, hubspotColumn<Deal>('deals', crm)] : columns;
}

function DealsPanel({
  sim,
  live,
  poll,
  crm,
  zone,
  url,
  onPage,
}: {
  sim: Simulation;
  live: boolean;
  /** Refresh the page shown: while live, or while deliveries are pending. */
  poll: boolean;
  crm: CrmTarget | null;
  zone: string;
  url: string | null;
  onPage: (url: string | null) => void;
}) {
  const query = useSimulationRecords(String(sim.id), 'deals', url, { live: poll });
  const wanted = (query.data?.results ?? []).map((d) => d.contact);
  // Their contacts are named from an index of them, asked only when deals are shown (see useContactIndex).
  const contacts = useContactIndex(String(sim.id), { enabled: wanted.length > 0, live, wanted });
  const contactsById = contacts.data?.records ?? NO_CONTACTS;
  const activities = hasActivities(sim);
  const columns = useMemo(() => dealColumns(zone, contactsById, crm, activities), [zone, contactsById, crm, activities]);
  const rate = typeof sim.deal_rate === 'number' ? `About ${formatPercent(sim.deal_rate)} of contacts` : 'Some contacts';
  return (
    <PagedList
      query={query}
      what="deals"
      onPage={onPage}
      empty={
        <EmptyState title="No deals yet">
          <p className="muted">
            {live
              ? `${rate} open a deal once they reach Opportunity, as the simulated time goes by. This page updates by itself.`
              : 'This simulation did not open any deals.'}
          </p>
        </EmptyState>
      }
    >
      {(page) => (
        <>
          <p className="muted small panel-meta" data-testid="deals-count">
            {plural(page.count, 'deal', 'deals')}, in timeline order ({zone}); each deal’s stage is its latest
          </p>
          <RecordTable
            columns={columns}
            rows={page.results}
            rowKey={(d) => d.id}
            caption={<>Deals opened by this simulation, in timeline order</>}
            testId="deals-table"
            rowTestId="deal-row"
          />
        </>
      )}
    </PagedList>
  );
}

// ---- activity ---------------------------------------------------------------------------------

function ActivityPanel({
  sim,
  live,
  zone,
  url,
  onPage,
}: {
  sim: Simulation;
  live: boolean;
  zone: string;
  url: string | null;
  onPage: (url: string | null) => void;
}) {
  const id = String(sim.id);
  const query = useSimulationRecords(id, 'events', url, { live });
  const events = query.data?.results ?? [];
  const dealIds = events.filter((e) => e.object_type === 'deal').map((e) => e.object_id);
  // Deals are named from an index of them, asked only when deals are shown (see useDealIndex).
  const index = useDealIndex(id, { enabled: hasDeals(sim) && dealIds.length > 0, live, wanted: dealIds });
  const contactIds = events.filter((e) => e.object_type === 'contact').map((e) => e.object_id);
  const contacts = useContactIndex(id, { enabled: contactIds.length > 0, live, wanted: contactIds });

  const name: RecordNamer = (event) => {
    if (event.object_type === 'deal') return index.data?.records.get(event.object_id)?.name?.trim() || null;
    const contact = contacts.data?.records.get(event.object_id);
    return contact ? contactName(contact) : null;
  };
  const last = `${recordListUrl(id, 'events')}?page=last`;

  return (
    <PagedList
      query={query}
      what="activity"
      onPage={onPage}
      empty={
        <EmptyState title="No activity yet">
          <p className="muted">
            {live
              ? 'Every stage a contact or deal takes shows here, its first one included. This page updates by itself.'
              : 'This simulation has no stage changes.'}
          </p>
        </EmptyState>
      }
    >
      {(page) => (
        <>
          <div className="panel-toolbar">
            <p className="muted small panel-meta" data-testid="activity-count">
              {plural(page.count, 'stage change', 'stage changes')}, oldest first, times in {zone}
            </p>
            {(page.next || page.previous) && (
              <div className="row-actions">
                <button type="button" className="btn btn-small" disabled={!page.previous} onClick={() => onPage(null)}>
                  Oldest
                </button>
                <button type="button" className="btn btn-small" disabled={!page.next} onClick={() => onPage(last)}>
                  Newest
                </button>
              </div>
            )}
          </div>
          <ActivityList events={page.results} name={name} zone={zone} />
        </>
      )}
    </PagedList>
  );
}

// ---- activities -------------------------------------------------------------------------------

/** The timeline's filter in the address (?kind=calls&contact=12), so a contact's or deal's timeline has a link. */
function useActivityFilter(): [ActivityFilter, (next: ActivityFilter) => void] {
  const [params, setParams] = useSearchParams();
  const kind = ACTIVITY_KINDS.find((k) => k.id === params.get('kind'))?.id;
  const number = (name: string) => (/^\d+$/.test(params.get(name) ?? '') ? Number(params.get(name)) : undefined);
  const filter: ActivityFilter = { kind, contact: number('contact'), deal: number('deal') };
  const set = (next: ActivityFilter) =>
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        for (const name of ['kind', 'contact', 'deal'] as const) {
          const value = next[name];
          if (value) updated.set(name, String(value));
          else updated.delete(name);
        }
        return updated;
      },
      { replace: true },
    );
  return [filter, set];
}

/** Activities per week as bars, each bar's title its week and counts. */
function ActivityWeeksChart({ id, live, zone }: { id: string; live: boolean; zone: string }) {
  const weeks = useActivityWeeks(id, { live });
  const rows = weeks.data?.weeks ?? [];
  if (!rows.length) return null;
  const totals = rows.map((w) => w.emails + w.calls + w.meetings + w.notes + w.tasks);
  const most = Math.max(...totals, 1);
  return (
    <figure className="weeks-figure" data-testid="activity-weeks">
      <figcaption className="muted small">
        Activities per week ({zone}), {plural(totals.reduce((a, b) => a + b, 0), 'activity', 'activities')} in {plural(rows.length, 'week', 'weeks')}
      </figcaption>
      <div className="weeks" role="img" aria-label={`Activities per week: ${totals.join(', ')}`}>
        {rows.map((week, i) => (
          <span
            key={week.start}
            className="weeks-bar"
            style={{ height: `${Math.max(4, ((totals[i] ?? 0) / most) * 100)}%` }}
            title={`Week of ${formatInZone(week.start, zone)}: ${totals[i] ?? 0} (${week.emails} emails, ${week.calls} calls, ${week.meetings} meetings, ${week.notes} notes, ${week.tasks} tasks)`}
          />
        ))}
      </div>
    </figure>
  );
}

function ActivitiesPanel({ sim, live, zone }: { sim: Simulation; live: boolean; zone: string }) {
  const id = String(sim.id);
  const [filter, setFilter] = useActivityFilter();
  const [url, setUrl] = useState<string | null>(null);
  // A new filter starts at its first page.
  const first = activitiesUrl(id, filter);
  const [shownFor, setShownFor] = useState(first);
  if (shownFor !== first) {
    setShownFor(first);
    setUrl(null);
  }
  const query = useSimulationActivities(id, filter, url, { live });
  const activities = query.data?.results ?? [];
  const contactIds = [...activities.map((a) => a.contact), ...(filter.contact ? [filter.contact] : [])];
  const contacts = useContactIndex(id, { enabled: contactIds.length > 0, live, wanted: contactIds });
  const deals = useDealIndex(id, { enabled: Boolean(filter.deal), live, wanted: filter.deal ? [filter.deal] : [] });
  const nameOf = (contactId: number) => {
    const contact = contacts.data?.records.get(contactId);
    return (contact && contactName(contact)) || `Contact #${contactId}`;
  };
  const whose = filter.contact
    ? `${nameOf(filter.contact)}’s timeline`
    : filter.deal
      ? `Timeline of ${deals.data?.records.get(filter.deal)?.name?.trim() || `deal #${filter.deal}`}`
      : null;

  return (
    <>
      <ActivityWeeksChart id={id} live={live} zone={zone} />
      <div className="timeline-filters">
        <label>
          <span className="small">Kind</span>{' '}
          <select
            value={filter.kind ?? ''}
            onChange={(e) => setFilter({ ...filter, kind: ACTIVITY_KINDS.find((k) => k.id === e.target.value)?.id })}
            data-testid="activity-kind-filter"
          >
            <option value="">All kinds</option>
            {ACTIVITY_KINDS.map((kind) => (
              <option key={kind.id} value={kind.id}>
                {kind.label}
              </option>
            ))}
          </select>
        </label>
        {whose && (
          <p className="timeline-whose" data-testid="activity-whose">
            <strong>{whose}</strong>{' '}
            <button type="button" className="btn btn-small" onClick={() => setFilter({ kind: filter.kind })}>
              Show everyone’s
            </button>
          </p>
        )}
      </div>
      <PagedList
        query={query}
        what="activities"
        onPage={setUrl}
        empty={
          <EmptyState title="No activities yet">
            <p className="muted">
              {live
                ? 'Emails, calls, meetings, notes and tasks show here as the timeline reaches them. This page updates by itself.'
                : 'Nothing matches: pick another kind, or show everyone’s.'}
            </p>
          </EmptyState>
        }
      >
        {(page) => (
          <>
            <p className="muted small panel-meta" data-testid="activities-count">
              {plural(page.count, 'activity', 'activities')}, oldest first, times in {zone}
            </p>
            <ActivityTimeline activities={page.results} who={(a) => nameOf(a.contact)} zone={zone} />
          </>
        )}
      </PagedList>
    </>
  );
}

// ---- funnel -----------------------------------------------------------------------------------

function FunnelPanel({ sim, live }: { sim: Simulation; live: boolean }) {
  const funnel = useSimulationFunnel(String(sim.id), { live });
  if (funnel.isPending) return <Loading label="Loading the funnel…" />;
  if (funnel.isError && !funnel.data) {
    return <ErrorState title="Could not load the funnel" error={funnel.error} onRetry={() => void funnel.refetch()} />;
  }
  return (
    <>
      {funnel.isError && (
        <p className="alert alert-warning" role="status">
          Live updates paused: the last refresh failed. Retrying…
        </p>
      )}
      <FunnelChart funnel={funnel.data} deals={hasDeals(sim)} />
    </>
  );
}
