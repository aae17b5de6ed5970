import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import {
  isLive,
  keys,
  useRetryJob,
  useSimulation,
  useSimulationAction,
  useSimulationContacts,
  useSimulationJobs,
  type SimulationAction,
} from '../api/hooks';
import type { Contact, Job, Simulation } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { JobProgress } from '../components/JobProgress';
import { Alert, EmptyState, ErrorState, Loading } from '../components/States';
import { StatusChip } from '../components/StatusChip';
import { formatDateTime, formatRelative } from '../lib/format';
import { frequencyLabel } from '../lib/schedule';

export function SimulationDetailPage() {
  const { id = '' } = useParams();
  const sim = useSimulation(id);
  const live = isLive(sim.data);
  const jobs = useSimulationJobs(id, live);
  const contacts = useSimulationContacts(id, live);
  const qc = useQueryClient();
  const wasLive = useRef(live);

  // When the simulation stops being live, fetch jobs and contacts once more so the final
  // state is shown (polling stops with it).
  useEffect(() => {
    if (wasLive.current && !live) {
      void qc.invalidateQueries({ queryKey: keys.jobs(id) });
      void qc.invalidateQueries({ queryKey: keys.contacts(id) });
    }
    wasLive.current = live;
  }, [live, id, qc]);

  if (sim.isPending) return <Loading label="Loading simulation…" />;
  if (sim.isError && !sim.data) {
    if (sim.error instanceof ApiError && sim.error.status === 404) {
      return (
        <EmptyState title="Simulation not found">
          <p>
            It may have been removed, or it belongs to someone else. <Link to="/">Back to your simulations</Link>.
          </p>
        </EmptyState>
      );
    }
    return <ErrorState title="Could not load this simulation" error={sim.error} onRetry={() => void sim.refetch()} />;
  }

  const s = sim.data;
  return (
    <div className="detail">
      <p>
        <Link to="/">← All simulations</Link>
      </p>
      <SimulationHeader sim={s} live={live} />
      <section aria-labelledby="timeline-title" className="card">
        <h2 id="timeline-title">Jobs</h2>
        {jobs.isPending ? (
          <Loading label="Loading jobs…" />
        ) : jobs.isError && !jobs.data ? (
          <ErrorState title="Could not load jobs" error={jobs.error} onRetry={() => void jobs.refetch()} />
        ) : jobs.data.length === 0 ? (
          <EmptyState title="No jobs scheduled" />
        ) : (
          <JobTimeline simulationId={id} jobs={jobs.data} />
        )}
      </section>
      <section aria-labelledby="contacts-title" className="card">
        <h2 id="contacts-title">
          Contacts <span className="muted">({contacts.data?.length ?? s.contacts_created ?? 0})</span>
        </h2>
        {contacts.isPending ? (
          <Loading label="Loading contacts…" />
        ) : contacts.isError && !contacts.data ? (
          <ErrorState title="Could not load contacts" error={contacts.error} onRetry={() => void contacts.refetch()} />
        ) : contacts.data.length === 0 ? (
          <EmptyState title="No contacts yet">
            <p className="muted">{noContactsHint(s, jobs.data)}</p>
          </EmptyState>
        ) : (
          <ContactsTable contacts={contacts.data} />
        )}
      </section>
    </div>
  );
}

function noContactsHint(sim: Simulation, jobs: Job[] | undefined): string {
  if (!isLive(sim)) return 'This simulation did not create any contacts.';
  const next = jobs?.find((j) => j.status === 'pending' || j.status === 'processing');
  if (next?.status === 'processing') return 'The first contact is being created right now…';
  if (next) return `The first contact is due ${formatRelative(next.scheduled_for)} (${formatDateTime(next.scheduled_for)}). This page updates by itself.`;
  return 'Contacts appear here as jobs complete. This page updates by itself.';
}

function SimulationHeader({ sim, live }: { sim: Simulation; live: boolean }) {
  const action = useSimulationAction(String(sim.id));
  const [confirmCancel, setConfirmCancel] = useState(false);
  const title = sim.name?.trim() || sim.theme;

  const run = (what: SimulationAction) =>
    action.mutate(what, { onSettled: () => setConfirmCancel(false) });

  const canPause = sim.status === 'running';
  const canResume = sim.status === 'paused';
  const canCancel = sim.status === 'running' || sim.status === 'paused';

  return (
    <section className="card sim-header" aria-labelledby="sim-title">
      <div className="sim-header-top">
        <div>
          <h1 id="sim-title">{title}</h1>
          <p className="muted">
            <StatusChip status={sim.status} /> {live && <span className="live-dot">Live</span>}
          </p>
        </div>
        <div className="actions" role="group" aria-label="Simulation actions">
          {canPause && (
            <button type="button" className="btn" onClick={() => run('pause')} disabled={action.isPending}>
              Pause
            </button>
          )}
          {canResume && (
            <button type="button" className="btn btn-primary" onClick={() => run('resume')} disabled={action.isPending}>
              Resume
            </button>
          )}
          {canCancel && (
            <button
              type="button"
              className="btn btn-danger"
              onClick={() => setConfirmCancel(true)}
              disabled={action.isPending}
              data-testid="cancel-simulation"
            >
              Cancel simulation
            </button>
          )}
        </div>
      </div>
      {action.isError && <Alert>{errorMessage(action.error)}</Alert>}
      <dl className="facts">
        <div>
          <dt>Theme</dt>
          <dd>{sim.theme}</dd>
        </div>
        <div>
          <dt>Industry</dt>
          <dd>{sim.industry}</dd>
        </div>
        <div>
          <dt>Frequency</dt>
          <dd>{frequencyLabel(sim.record_frequency)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(sim.created_at)}</dd>
        </div>
        <div className="facts-wide">
          <dt>Progress</dt>
          <dd>
            <JobProgress counts={sim.job_counts} contacts={sim.contacts_created ?? 0} />
          </dd>
        </div>
      </dl>
      <ConfirmDialog
        open={confirmCancel}
        title="Cancel this simulation?"
        confirmLabel="Cancel simulation"
        cancelLabel="Keep it"
        danger
        busy={action.isPending}
        onConfirm={() => run('cancel')}
        onCancel={() => setConfirmCancel(false)}
      >
        <p>Its pending jobs are cancelled and no more contacts will be created. Contacts already created stay. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}

function TimeField({ label, value }: { label: string; value: string | null }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value ? <time dateTime={value}>{formatDateTime(value)}</time> : '—'}</dd>
    </div>
  );
}

function JobTimeline({ simulationId, jobs }: { simulationId: string; jobs: Job[] }) {
  const retry = useRetryJob(simulationId);
  const [retryError, setRetryError] = useState<{ jobId: number; message: string } | null>(null);

  const onRetry = (job: Job) => {
    setRetryError(null);
    retry.mutate(job.id, {
      onError: (err) =>
        setRetryError({
          jobId: job.id,
          message:
            err instanceof ApiError && err.status === 409
              ? 'This job is no longer failed, so it cannot be retried.'
              : errorMessage(err),
        }),
    });
  };

  return (
    <ol className="timeline" data-testid="job-timeline">
      {jobs.map((job, index) => (
        <li key={job.id} className={`timeline-item timeline-${job.status}`} data-testid="job-item" data-job-status={job.status}>
          <div className="timeline-head">
            <h3>
              Job {index + 1} <span className="muted small">of {jobs.length}</span>
            </h3>
            <StatusChip status={job.status} />
            {job.attempts > 1 && <span className="muted small">{job.attempts} attempts</span>}
          </div>
          <dl className="timeline-times">
            <TimeField label="Scheduled" value={job.scheduled_for} />
            <TimeField label="Started" value={job.started_at} />
            <TimeField label="Finished" value={job.finished_at} />
          </dl>
          {job.status === 'failed' && (
            <div className="job-failure">
              {job.last_error && (
                <p className="job-error" data-testid="job-last-error">
                  <span className="visually-hidden">Error: </span>
                  {job.last_error}
                </p>
              )}
              <button
                type="button"
                className="btn btn-small"
                onClick={() => onRetry(job)}
                disabled={retry.isPending && retry.variables === job.id}
                aria-label={`Retry job ${index + 1}`}
                data-testid="retry-job"
              >
                {retry.isPending && retry.variables === job.id ? 'Retrying…' : 'Retry'}
              </button>
              {retryError?.jobId === job.id && <Alert>{retryError.message}</Alert>}
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

const CONTACT_COLUMNS: { key: keyof Contact; label: string }[] = [
  { key: 'firstname', label: 'First name' },
  { key: 'lastname', label: 'Last name' },
  { key: 'email', label: 'Email' },
  { key: 'jobtitle', label: 'Job title' },
  { key: 'company', label: 'Company' },
  { key: 'industry', label: 'Industry' },
  { key: 'source', label: 'Source' },
  { key: 'created_at', label: 'Created' },
];

function ContactsTable({ contacts }: { contacts: Contact[] }) {
  return (
    <div className="table-wrap">
      <table className="table table-cards" data-testid="contacts-table">
        <caption className="visually-hidden">Contacts created by this simulation, oldest first</caption>
        <thead>
          <tr>
            {CONTACT_COLUMNS.map((c) => (
              <th key={c.key} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {contacts.map((contact) => (
            <tr key={contact.id} data-testid="contact-row">
              {CONTACT_COLUMNS.map((c) => (
                <td key={c.key} data-label={c.label}>
                  {c.key === 'created_at'
                    ? formatDateTime(contact.created_at)
                    : c.key === 'source'
                      ? <span className={`tag tag-${String(contact.source)}`}>{String(contact.source ?? '—')}</span>
                      : String(contact[c.key] ?? '—') || '—'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
