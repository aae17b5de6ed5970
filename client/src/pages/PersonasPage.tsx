import { useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, toPath } from '../api/client';
import { PERSONAS_URL, usePersonas, usePurgePersona, useSystemStatus } from '../api/hooks';
import type { CachedPersona } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Pager } from '../components/Pager';
import { RecordTable, type Column } from '../components/RecordTable';
import { Alert, EmptyState, ErrorState, Loading } from '../components/States';
import { display, formatDateTime } from '../lib/format';

/** A pool holds contacts (persona_data.personas) or companies (persona_data.companies), as its kind says. */
function isCompanyPool(p: CachedPersona): boolean {
  return p.kind === 'company';
}

/** What a pool's entries are called: "contacts" or "companies" (one: "contact", "company"). */
function entryNoun(p: CachedPersona, count: number): string {
  if (isCompanyPool(p)) return count === 1 ? 'company' : 'companies';
  return count === 1 ? 'contact' : 'contacts';
}

/**
 * The entries of a pool, each read as a loose record (an older entry may lack fields). persona_data
 * is read as unknown on purpose: an entry written by an older server may not match the schema
 * ({"personas": [...]}, {"companies": [...]}, or a bare list).
 */
function entryList(p: CachedPersona): Record<string, unknown>[] {
  const data: unknown = p.persona_data;
  const list =
    data && typeof data === 'object' && !Array.isArray(data)
      ? (data as { personas?: unknown; companies?: unknown })[isCompanyPool(p) ? 'companies' : 'personas']
      : data;
  if (!Array.isArray(list)) return [];
  return list.filter((item): item is Record<string, unknown> => !!item && typeof item === 'object' && !Array.isArray(item));
}

/** How many entries a pool holds: persona_count (the server counts by kind), else its list's length. */
function entryCount(p: CachedPersona): number | undefined {
  if (typeof p.persona_count === 'number') return p.persona_count;
  const data: unknown = p.persona_data;
  if (Array.isArray(data)) return data.length;
  const list = data && typeof data === 'object' ? (data as Record<string, unknown>)[isCompanyPool(p) ? 'companies' : 'personas'] : undefined;
  return Array.isArray(list) ? list.length : undefined;
}

function entriesLabel(p: CachedPersona): string {
  const count = entryCount(p);
  return count === undefined ? display(undefined) : `${count.toLocaleString('en-US')} ${entryNoun(p, count)}`;
}

function label(p: CachedPersona): string {
  return [p.theme, p.industry].filter(Boolean).join(' / ') || `entry ${p.id}`;
}

/** With the offline provider, what is (not) cached: planned runs write their people from the seed, uncached. */
function OfflineNote() {
  return (
    <p className="alert alert-info" data-testid="personas-offline-note">
      SimCRM runs on the offline provider, which makes each planned simulation’s contacts and companies from its
      seed, on the spot: they are not cached, so they do not appear here and count no hits. Only simulations on the
      original schedule (5 contacts, no total records) keep an offline pool here. With <code>OPENAI_API_KEY</code> set,
      every theme and industry gets a pool of contacts and, in b2b, one of companies.
    </p>
  );
}

export function PersonasPage() {
  const [url, setUrl] = useState(PERSONAS_URL);
  const personas = usePersonas(url);
  const provider = useSystemStatus().data?.persona_provider.provider;
  const purge = usePurgePersona();
  const [target, setTarget] = useState<CachedPersona | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [openId, setOpenId] = useState<CachedPersona['id'] | null>(null);
  // The open pool, while it is still on the page being shown (gone once purged).
  const openPool = personas.data?.results.find((p) => p.id === openId) ?? null;
  const poolId = 'persona-pool';

  const confirmPurge = () => {
    if (!target) return;
    const name = label(target);
    const noun = entryNoun(target, 2);
    purge.mutate(target.id, {
      onSuccess: () => setNotice(`Purged the cached ${noun} for ${name}.`),
      onSettled: () => setTarget(null),
    });
  };

  return (
    <section aria-labelledby="personas-title">
      <div className="page-header">
        <h1 id="personas-title">Persona cache</h1>
      </div>
      <p className="muted">
        OpenAI’s contacts and companies are kept in pools, one per theme and industry (and kind), shared by every
        simulation: a record read from a pool is a <strong>hit</strong>; a pool too short for a run grows by one
        OpenAI call, a <strong>miss</strong>. Purging a pool makes the next job of its theme and industry write new
        people; records already made keep theirs, and a replay of an earlier run no longer makes the same ones.
      </p>
      {provider === 'offline' && <OfflineNote />}
      {notice && <Alert kind="info">{notice}</Alert>}
      {purge.isError && <Alert>Could not purge: {errorMessage(purge.error)}</Alert>}

      {personas.isPending ? (
        <Loading label="Loading cached personas…" />
      ) : personas.isError && !personas.data ? (
        personas.error instanceof ApiError && personas.error.status === 403 ? (
          <EmptyState title="Staff only">
            <p>You need staff access to see the persona cache.</p>
          </EmptyState>
        ) : (
          <ErrorState title="Could not load the persona cache" error={personas.error} onRetry={() => void personas.refetch()} />
        )
      ) : personas.data.results.length === 0 ? (
        <EmptyState title="The cache is empty">
          <p>
            {provider === 'offline'
              ? 'No simulation on the original schedule has run yet.'
              : 'A pool appears here once the first job of a theme and industry has asked OpenAI for personas.'}
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table table-cards" data-testid="personas-table">
              <caption className="visually-hidden">Cached personas</caption>
              <thead>
                <tr>
                  <th scope="col">Theme</th>
                  <th scope="col">Industry</th>
                  <th scope="col">Entries</th>
                  <th scope="col">Hits</th>
                  <th scope="col">Misses</th>
                  <th scope="col">Source</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {personas.data.results.map((p) => (
                  <tr key={String(p.id)} data-testid="persona-row">
                    <td data-label="Theme">{display(p.theme)}</td>
                    <td data-label="Industry">{display(p.industry)}</td>
                    <td data-label="Entries" data-testid="persona-entries">
                      {entriesLabel(p)}
                    </td>
                    <td data-label="Hits">{display(p.hits)}</td>
                    <td data-label="Misses">{display(p.misses)}</td>
                    <td data-label="Source">{display(p.source)}</td>
                    <td data-label="Created">{formatDateTime(p.created_at)}</td>
                    <td data-label="Actions">
                      <div className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setOpenId(openId === p.id ? null : p.id)}
                          aria-expanded={openId === p.id}
                          aria-controls={openId === p.id ? poolId : undefined}
                          aria-label={`${openId === p.id ? 'Hide' : 'Show'} ${entryNoun(p, 2)} of ${label(p)}`}
                          data-testid="show-personas"
                        >
                          {openId === p.id ? 'Hide' : 'Show'} {entryNoun(p, 2)}
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          onClick={() => {
                            setNotice(null);
                            setTarget(p);
                          }}
                          aria-label={`Purge ${label(p)}`}
                        >
                          Purge
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Persona pages"
            count={personas.data.count}
            next={personas.data.next}
            previous={personas.data.previous}
            onPage={(u) => setUrl(toPath(u))}
          />
          {openPool && <PersonaPool id={poolId} pool={openPool} onClose={() => setOpenId(null)} />}
        </>
      )}

      <ConfirmDialog
        open={target !== null}
        title="Purge this pool?"
        confirmLabel="Purge"
        cancelLabel="Keep it"
        danger
        busy={purge.isPending}
        onConfirm={confirmPurge}
        onCancel={() => setTarget(null)}
      >
        <p>
          The cached {target ? entryNoun(target, 2) : 'personas'} for <strong>{target ? label(target) : ''}</strong>{' '}
          are deleted. The next job with this theme and industry generates new ones; records already made keep theirs.
        </p>
      </ConfirmDialog>
    </section>
  );
}

const PERSONA_COLUMNS: Column<Record<string, unknown>>[] = [
  {
    key: 'name',
    label: 'Name',
    value: (p) => display([p.firstname, p.lastname].filter((v) => typeof v === 'string' && v.trim()).join(' ')),
  },
  { key: 'jobtitle', label: 'Job title', value: (p) => display(p.jobtitle) },
  { key: 'company', label: 'Company', value: (p) => display(p.company) },
  { key: 'email', label: 'Email', value: (p) => display(p.email) },
  { key: 'city', label: 'City', value: (p) => display(p.city) },
  { key: 'country', label: 'Country', value: (p) => display(p.country) },
  { key: 'phone', label: 'Phone', value: (p) => display(p.phone) },
];

const COMPANY_COLUMNS: Column<Record<string, unknown>>[] = [
  { key: 'name', label: 'Name', value: (c) => display(c.name) },
  { key: 'domain', label: 'Domain', value: (c) => display(c.domain) },
  { key: 'industry', label: 'Industry', value: (c) => display(c.industry) },
  { key: 'city', label: 'City', value: (c) => display(c.city) },
  { key: 'country', label: 'Country', value: (c) => display(c.country) },
  {
    key: 'employees',
    label: 'Employees',
    value: (c) => (typeof c.employees === 'number' ? c.employees.toLocaleString('en-US') : display(c.employees)),
  },
];

/** The contacts or companies in one pool. */
function PersonaPool({ id, pool, onClose }: { id: string; pool: CachedPersona; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const entries = entryList(pool);
  const noun = entryNoun(pool, 2);
  const title = noun.charAt(0).toUpperCase() + noun.slice(1);

  // Opening a pool moves focus (and the view) to it: on a phone it is below the list.
  useEffect(() => {
    heading.current?.focus();
  }, [pool.id]);

  return (
    <section id={id} className="card persona-pool" aria-labelledby={`${id}-title`} data-testid="persona-pool">
      <div className="page-header">
        <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
          {title} for {label(pool)} <span className="muted">({entries.length})</span>
        </h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      {entries.length === 0 ? (
        <p className="muted">This pool holds no {noun} that can be shown.</p>
      ) : (
        <RecordTable
          columns={isCompanyPool(pool) ? COMPANY_COLUMNS : PERSONA_COLUMNS}
          rows={entries}
          rowKey={(_, index) => index}
          caption={
            <>
              The cached {noun} for {label(pool)}
            </>
          }
          testId="pool-table"
          rowTestId="pool-persona-row"
        />
      )}
    </section>
  );
}
