import { useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, toPath } from '../api/client';
import { PERSONAS_URL, usePersonas, usePurgePersona } from '../api/hooks';
import type { CachedPersona } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Pager } from '../components/Pager';
import { RecordTable, type Column } from '../components/RecordTable';
import { Alert, EmptyState, ErrorState, Loading } from '../components/States';
import { display, formatDateTime } from '../lib/format';

/**
 * How many personas an entry holds: persona_count, else the length of the personas list in
 * persona_data ({"personas": [...]}, or a bare list). persona_data is read as unknown on purpose:
 * an entry written by an older server may not match the schema, and then the cell shows "—".
 */
function personaCount(p: CachedPersona): number | undefined {
  if (typeof p.persona_count === 'number') return p.persona_count;
  const data: unknown = p.persona_data;
  const list = data && typeof data === 'object' && !Array.isArray(data) ? (data as { personas?: unknown }).personas : data;
  return Array.isArray(list) ? list.length : undefined;
}

/** The personas of an entry, each read as a loose record (an older entry may lack fields). */
function personaList(p: CachedPersona): Record<string, unknown>[] {
  const data: unknown = p.persona_data;
  const list = data && typeof data === 'object' && !Array.isArray(data) ? (data as { personas?: unknown }).personas : data;
  if (!Array.isArray(list)) return [];
  return list.filter((item): item is Record<string, unknown> => !!item && typeof item === 'object' && !Array.isArray(item));
}

function label(p: CachedPersona): string {
  return [p.theme, p.industry].filter(Boolean).join(' / ') || `entry ${p.id}`;
}

export function PersonasPage() {
  const [url, setUrl] = useState(PERSONAS_URL);
  const personas = usePersonas(url);
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
    purge.mutate(target.id, {
      onSuccess: () => setNotice(`Purged the cached personas for ${name}.`),
      onSettled: () => setTarget(null),
    });
  };

  return (
    <section aria-labelledby="personas-title">
      <div className="page-header">
        <h1 id="personas-title">Persona cache</h1>
      </div>
      <p className="muted">
        Personas are cached per theme and industry, so later jobs with the same key skip the AI call. Purging an
        entry makes the next job generate fresh personas.
      </p>
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
          <p>Entries appear here after the first job for a theme and industry runs.</p>
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
                  <th scope="col">Personas</th>
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
                    <td data-label="Personas">{display(personaCount(p))}</td>
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
                          aria-label={`${openId === p.id ? 'Hide' : 'Show'} personas of ${label(p)}`}
                          data-testid="show-personas"
                        >
                          {openId === p.id ? 'Hide personas' : 'Show personas'}
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
        title="Purge this cache entry?"
        confirmLabel="Purge"
        cancelLabel="Keep it"
        danger
        busy={purge.isPending}
        onConfirm={confirmPurge}
        onCancel={() => setTarget(null)}
      >
        <p>
          The cached personas for <strong>{target ? label(target) : ''}</strong> are deleted. The next job with this
          theme and industry generates new ones.
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

/** The people in one cache entry. */
function PersonaPool({ id, pool, onClose }: { id: string; pool: CachedPersona; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const people = personaList(pool);

  // Opening a pool moves focus (and the view) to it: on a phone it is below the list.
  useEffect(() => {
    heading.current?.focus();
  }, [pool.id]);

  return (
    <section id={id} className="card persona-pool" aria-labelledby={`${id}-title`} data-testid="persona-pool">
      <div className="page-header">
        <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
          Personas for {label(pool)} <span className="muted">({people.length})</span>
        </h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      {people.length === 0 ? (
        <p className="muted">This entry holds no personas that can be shown.</p>
      ) : (
        <RecordTable
          columns={PERSONA_COLUMNS}
          rows={people}
          rowKey={(_, index) => index}
          caption={<>The cached personas for {label(pool)}</>}
          testId="pool-table"
          rowTestId="pool-persona-row"
        />
      )}
    </section>
  );
}
