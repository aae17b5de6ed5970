import { Link, useLocation } from 'react-router';
import { toPath } from '../api/client';
import { SIMULATIONS_URL, useSimulations } from '../api/hooks';
import { JobProgress, RecordProgress } from '../components/JobProgress';
import { Pager } from '../components/Pager';
import { Alert, EmptyState, ErrorState, Loading } from '../components/States';
import { StatusChip } from '../components/StatusChip';
import { formatDateTime } from '../lib/format';
import { jobTotals } from '../components/JobProgress';
import { isPlanned, plannedSummary, plannedWindow } from '../lib/planned';
import { frequencyPeriod, scheduleSummary } from '../lib/schedule';
import type { Simulation } from '../api/types';
import { useUiStore } from '../store';

export function SimulationListPage() {
  const pageUrl = useUiStore((s) => s.simulationsPage) ?? SIMULATIONS_URL;
  const setPage = useUiStore((s) => s.setSimulationsPage);
  const query = useSimulations(pageUrl);
  // Set by the detail page after a delete.
  const notice = (useLocation().state as { notice?: unknown } | null)?.notice;

  return (
    <section aria-labelledby="sims-title">
      <div className="page-header">
        <h1 id="sims-title">Simulations</h1>
        <Link to="/simulations/new" className="btn btn-primary" data-testid="new-simulation-link">
          New simulation
        </Link>
      </div>

      {typeof notice === 'string' && <Alert kind="info">{notice}</Alert>}

      {query.isPending ? (
        <Loading label="Loading simulations…" />
      ) : query.isError && !query.data ? (
        <ErrorState title="Could not load simulations" error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.results.length === 0 ? (
        pageUrl !== SIMULATIONS_URL ? (
          <EmptyState title="This page is empty">
            <button type="button" className="btn" onClick={() => setPage(null)}>
              Back to the first page
            </button>
          </EmptyState>
        ) : (
          <EmptyState title="No simulations yet">
            <p>
              A simulation fills a CRM with believable records for a theme and an industry. The original schedule makes
              5 contacts; a planned run makes up to a million contacts, with their companies, deals
              and lifecycle stages, along a curve over a window you choose (a window in the past fills in history).
              Export them as CSV, or deliver them to HubSpot as they are made.
            </p>
            <Link to="/simulations/new" className="btn btn-primary">
              Start your first simulation
            </Link>
          </EmptyState>
        )
      ) : (
        <>
          {query.isError && (
            <p className="alert alert-warning" role="status">
              Live updates paused: the last refresh failed. Retrying…
            </p>
          )}
          <table className="table table-cards" data-testid="simulations-table">
            <caption className="visually-hidden">Your simulations, newest first, refreshed every few seconds</caption>
            <thead>
              <tr>
                <th scope="col">Simulation</th>
                <th scope="col">Status</th>
                <th scope="col">Industry</th>
                <th scope="col">Schedule</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {query.data.results.map((sim) => (
                <tr key={sim.id} data-testid="simulation-row" data-simulation-id={sim.id}>
                  <td data-label="Simulation">
                    {/* One child: on phones the cell is a two-column grid (label, value). */}
                    <div>
                      <Link to={`/simulations/${sim.id}`} className="strong">
                        {sim.name?.trim() || sim.theme}
                      </Link>
                      {sim.name?.trim() && <div className="muted small">{sim.theme}</div>}
                    </div>
                  </td>
                  <td data-label="Status">
                    {/* One child: on phones the cell is a two-column grid (label, value). */}
                    <div className="status-cell">
                      <div className="chips">
                        <StatusChip status={sim.status} />
                        <FailedBadge sim={sim} />
                      </div>
                      <LastError sim={sim} />
                    </div>
                  </td>
                  <td data-label="Industry">{sim.industry}</td>
                  {isPlanned(sim) ? (
                    <td data-label="Schedule">
                      {/* One child: on phones the cell is a two-column grid (label, value). */}
                      <div>
                        {plannedSummary(sim)}
                        <div className="muted small">
                          {plannedWindow(sim)} ({sim.timezone || 'UTC'})
                        </div>
                      </div>
                    </td>
                  ) : (
                    <td data-label="Schedule" title={`Record frequency ${frequencyPeriod(sim.record_frequency)}`}>
                      {scheduleSummary(sim.record_frequency)}
                    </td>
                  )}
                  <td data-label="Progress">
                    {isPlanned(sim) ? (
                      <RecordProgress created={sim.contacts_created ?? 0} total={sim.total_records} counts={sim.job_counts} />
                    ) : (
                      <JobProgress counts={sim.job_counts} contacts={sim.contacts_created ?? 0} />
                    )}
                  </td>
                  <td data-label="Created">{formatDateTime(sim.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Simulation pages"
            count={query.data.count}
            next={query.data.next}
            previous={query.data.previous}
            onPage={(url) => setPage(toPath(url) === SIMULATIONS_URL ? null : toPath(url))}
          />
        </>
      )}
    </section>
  );
}

function FailedBadge({ sim }: { sim: Simulation }) {
  const { failed } = jobTotals(sim.job_counts);
  if (failed === 0) return null;
  return (
    <span className="chip chip-failed" data-testid="failed-badge">
      {failed} failed
    </span>
  );
}

const ERROR_PREVIEW_CHARS = 90;

/** The latest failed job's error, cut short; the full text is in the title (and on the detail page). */
function LastError({ sim }: { sim: Simulation }) {
  const error = (sim.last_error ?? '').trim();
  if (!error || jobTotals(sim.job_counts).failed === 0) return null;
  const short = error.length > ERROR_PREVIEW_CHARS ? `${error.slice(0, ERROR_PREVIEW_CHARS - 1).trimEnd()}…` : error;
  return (
    <p className="row-error" title={error} data-testid="row-last-error">
      <span className="visually-hidden">Last error: </span>
      {short}
    </p>
  );
}
