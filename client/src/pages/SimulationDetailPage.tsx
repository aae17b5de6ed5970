import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, errorMessage, type FieldErrors } from '../api/client';
import {
  isLive,
  keys,
  looksLive,
  needsRefresh,
  useConnection,
  useDeleteSimulation,
  useSimulationSchedule,
  useRenameSimulation,
  useReplaySimulation,
  useRetryFailed,
  useRetryJob,
  useSimulation,
  useSimulationAction,
  useSimulationJobs,
  JOBS_PAGE_SIZE,
  type SimulationAction,
} from '../api/hooks';
import { toPath } from '../api/client';
import { seedDigits, type Job, type Page, type Simulation } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DeliverySummary } from '../components/DeliverySummary';
import { FormField } from '../components/FormField';
import { JobProgress, RecordProgress, jobTotals } from '../components/JobProgress';
import { Pager } from '../components/Pager';
import { ScheduleChart } from '../components/ScheduleChart';
import { Alert, EmptyState, ErrorState, Loading } from '../components/States';
import { StatusChip } from '../components/StatusChip';
import { Timestamp, simulationZone } from '../components/Timestamp';
import { crmSummary } from '../lib/crm';
import { plural } from '../lib/format';
import {
  curveExplanation,
  curveLabel,
  formatCount,
  formatInZone,
  isPlanned,
} from '../lib/planned';
import { bucketUnitLabel, frequencyPeriod, scheduleSummary } from '../lib/schedule';
import { useNow } from '../lib/timing';
import { SimulationRecords } from './SimulationRecords';

const NAME_MAX_LENGTH = 255;

function simulationTitle(sim: Simulation): string {
  return sim.name?.trim() || sim.theme;
}

export function SimulationDetailPage() {
  const { id = '' } = useParams();
  const sim = useSimulation(id);
  const live = isLive(sim.data);
  // The records (and their delivery) keep refreshing after the simulation ends while any delivery is pending.
  const refresh = needsRefresh(sim.data);
  // The page of jobs shown (a DRF page link; null: the first).
  const [jobsPage, setJobsPage] = useState<string | null>(null);
  const jobs = useSimulationJobs(id, jobsPage, live);
  const connection = useConnection(sim.data?.connection ?? null, { poll: refresh });
  const qc = useQueryClient();
  const wasLive = useRef(live);
  const wasRefreshing = useRef(refresh);

  // When the simulation stops being live, fetch its jobs and records once more so the final
  // state is shown (polling stops with it); the records again once the last delivery is done.
  // Only the queries on screen refetch.
  useEffect(() => {
    if (wasLive.current && !live) {
      void qc.invalidateQueries({ queryKey: keys.jobs(id) });
      void qc.invalidateQueries({ queryKey: keys.records(id, 'events') });
      void qc.invalidateQueries({ queryKey: keys.dealIndex(id) });
      void qc.invalidateQueries({ queryKey: keys.funnel(id) });
    }
    if (wasRefreshing.current && !refresh) {
      for (const kind of ['contacts', 'companies', 'deals'] as const) void qc.invalidateQueries({ queryKey: keys.records(id, kind) });
    }
    wasLive.current = live;
    wasRefreshing.current = refresh;
  }, [live, refresh, id, qc]);

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
      <SimulationHeader sim={s} live={looksLive(s)} />
      <FailedJobsAlert sim={s} />
      <DeliverySummary sim={s} connection={connection} />
      {isPlanned(s) && <PlannedSchedule sim={s} />}
      <SimulationRecords key={s.id} sim={s} jobs={jobs.data?.results} connection={s.connection === null ? null : connection.data} />
      <section aria-labelledby="timeline-title" className="card" data-testid="jobs">
        <h2 id="timeline-title">Jobs</h2>
        {jobs.isPending ? (
          <Loading label="Loading jobs…" />
        ) : jobs.isError && !jobs.data ? (
          <ErrorState title="Could not load jobs" error={jobs.error} onRetry={() => void jobs.refetch()} />
        ) : jobs.data.count === 0 ? (
          <EmptyState title="No jobs scheduled" />
        ) : (
          <JobTimeline simulationId={id} page={jobs.data} url={jobsPage} zone={simulationZone(s)} onPage={setJobsPage} />
        )}
      </section>
    </div>
  );
}

function SimulationHeader({ sim, live }: { sim: Simulation; live: boolean }) {
  const id = String(sim.id);
  const action = useSimulationAction(id);
  const navigate = useNavigate();
  const title = simulationTitle(sim);
  const remove = useDeleteSimulation(id, () =>
    navigate('/', { replace: true, state: { notice: `Deleted “${title}” from SimCRM.` } }),
  );
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [confirmReplay, setConfirmReplay] = useState(false);
  const replay = useReplaySimulation(id);
  const planned = isPlanned(sim);
  const [renaming, setRenaming] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);

  const run = (what: SimulationAction) =>
    action.mutate(what, { onSettled: () => setConfirmCancel(false) });

  const canPause = sim.status === 'running';
  const canResume = sim.status === 'paused';
  const canCancel = sim.status === 'running' || sim.status === 'paused';
  const { total: jobCount } = jobTotals(sim.job_counts);
  const contactCount = sim.contacts_created ?? 0;
  const closeRename = () => {
    setRenaming(false);
    // Back to the button that opened the form (it is rendered again on the next frame).
    window.requestAnimationFrame(() => renameButton.current?.focus());
  };

  return (
    <section className="card sim-header" aria-labelledby="sim-title">
      <div className="sim-header-top">
        <div className="sim-title">
          {renaming ? (
            <>
              <h1 id="sim-title" className="visually-hidden">
                {title}
              </h1>
              <RenameForm sim={sim} onDone={closeRename} />
            </>
          ) : (
            <h1 id="sim-title">{title}</h1>
          )}
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
          {planned && (
            <button
              type="button"
              className="btn"
              onClick={() => {
                replay.reset();
                setConfirmReplay(true);
              }}
              data-testid="replay-simulation"
            >
              Replay
            </button>
          )}
          {!renaming && (
            <button ref={renameButton} type="button" className="btn" onClick={() => setRenaming(true)} data-testid="rename-simulation">
              Rename
            </button>
          )}
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
            data-testid="delete-simulation"
          >
            Delete
          </button>
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
        {planned ? (
          <PlannedFacts sim={sim} />
        ) : (
          <div className="facts-schedule">
            <dt>Schedule</dt>
            <dd data-testid="sim-schedule">
              {scheduleSummary(sim.record_frequency)}{' '}
              <span className="muted">(record frequency {frequencyPeriod(sim.record_frequency)})</span>
            </dd>
          </div>
        )}
        <div>
          <dt>Created</dt>
          <dd data-testid="sim-created">
            <Timestamp value={sim.created_at} zone={simulationZone(sim)} withZone />
          </dd>
        </div>
        {!planned && (
          <div>
            <dt>Time zone</dt>
            <dd data-testid="sim-timezone">
              {simulationZone(sim)} <span className="muted small block">every time on this page</span>
            </dd>
          </div>
        )}
        <div className="facts-wide">
          <dt>Progress</dt>
          <dd>
            {isPlanned(sim) ? (
              <RecordProgress created={contactCount} total={sim.total_records} counts={sim.job_counts} />
            ) : (
              <JobProgress counts={sim.job_counts} contacts={contactCount} />
            )}
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
      <ConfirmDialog
        open={confirmDelete}
        title="Delete this simulation?"
        confirmLabel="Delete simulation"
        cancelLabel="Keep it"
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirmDelete(false)}
      >
        <p>
          This removes <strong>{title}</strong> from SimCRM, with its {plural(jobCount, 'job')} and{' '}
          {plural(contactCount, 'contact')}. Nothing is deleted from a connected CRM. This cannot be undone.
        </p>
        {remove.isError && <Alert>Could not delete: {errorMessage(remove.error)}</Alert>}
      </ConfirmDialog>
      {planned && (
        <ConfirmDialog
          open={confirmReplay}
          title="Replay this simulation?"
          confirmLabel="Replay"
          cancelLabel="Keep it as it is"
          busy={replay.isPending}
          onConfirm={() =>
            replay.mutate(undefined, {
              onSuccess: (created) => {
                setConfirmReplay(false);
                navigate(`/simulations/${created.id}`);
              },
            })
          }
          onCancel={() => setConfirmReplay(false)}
        >
          <p>{replayExplanation(sim)}</p>
          {replay.isError && <Alert>Could not replay: {errorMessage(replay.error)}</Alert>}
        </ConfirmDialog>
      )}
    </section>
  );
}

/** What Replay does, in plain words, for the confirm dialog. */
function replayExplanation(sim: Simulation): string {
  const zone = sim.timezone || 'UTC';
  const total = sim.total_records ?? 0;
  const window =
    sim.starts_at && sim.ends_at ? ` (${formatInZone(sim.starts_at, zone)} to ${formatInZone(sim.ends_at, zone)}, ${zone})` : '';
  const past = sim.starts_at && new Date(sim.starts_at).getTime() < Date.now() ? ' Records whose instants have passed are created at once.' : '';
  return (
    `This creates a new simulation with the same settings and the same seed (${seedDigits(sim)}): ` +
    `${formatCount(total)} ${total === 1 ? 'record' : 'records'} along the same curve (${curveLabel(sim.distribution)}) in the same window${window}, ` +
    `so the same contacts at the same instants.${past} This simulation stays as it is.`
  );
}

/** A planned simulation's settings: records, window, curve, time zone, seed and CRM. */
function PlannedFacts({ sim }: { sim: Simulation }) {
  const zone = sim.timezone || 'UTC';
  const weights = Array.isArray(sim.curve_weights) ? (sim.curve_weights as unknown[]) : null;
  return (
    <>
      <div>
        <dt>Records</dt>
        <dd data-testid="sim-total-records">{formatCount(sim.total_records ?? 0)}</dd>
      </div>
      <div className="facts-schedule">
        <dt>Window</dt>
        <dd data-testid="sim-window">
          {sim.starts_at ? formatInZone(sim.starts_at, zone) : '—'} → {sim.ends_at ? formatInZone(sim.ends_at, zone) : '—'}
        </dd>
      </div>
      <div className="facts-schedule">
        <dt>Curve</dt>
        <dd data-testid="sim-curve">
          {curveLabel(sim.distribution)}
          {weights ? ` (${weights.length} weights)` : ''}
          {sim.distribution && <span className="muted small block">{curveExplanation(sim.distribution)}</span>}
        </dd>
      </div>
      <div>
        <dt>Time zone</dt>
        <dd data-testid="sim-timezone">
          {zone} <span className="muted small block">every time on this page</span>
        </dd>
      </div>
      <div>
        <dt>Seed</dt>
        <dd className="seed" data-testid="sim-seed">
          {seedDigits(sim)}
        </dd>
      </div>
      {sim.scenario && (
        <div className="facts-schedule">
          <dt>CRM</dt>
          <dd data-testid="sim-crm">{crmSummary(sim)}</dd>
        </div>
      )}
    </>
  );
}

/**
 * The schedule of a planned simulation as a chart: its records per hour, day or week of its zone,
 * from its own stored settings and seed. What has been created is solid, the rest lighter.
 */
function PlannedSchedule({ sim }: { sim: Simulation }) {
  const preview = useSimulationSchedule(sim.id);
  const now = useNow(30_000);
  const zone = simulationZone(sim);
  const schedule = preview.data;
  const created = sim.contacts_created ?? 0;
  const total = sim.total_records ?? 0;

  return (
    <section aria-labelledby="schedule-title" className="card" data-testid="planned-schedule">
      <h2 id="schedule-title">Schedule</h2>
      {preview.isPending ? (
        <Loading label="Loading the schedule…" />
      ) : preview.isError || !schedule ? (
        <p className="muted" data-testid="schedule-unavailable">
          The schedule chart is not available: {errorMessage(preview.error)}
        </p>
      ) : (
        <ScheduleChart
          buckets={schedule.buckets}
          unit={schedule.unit}
          timeZone={zone}
          now={now}
          progress={{ created, finished: !isLive(sim) }}
          caption={
            <>
              <strong>
                {formatCount(created)} of {formatCount(total)} created
              </strong>{' '}
              · {formatInZone(schedule.starts_at, zone)} to {formatInZone(schedule.ends_at, zone)}{' '}
              <span className="muted">
                ({zone}
                {bucketUnitLabel(schedule.unit) ? `; ${bucketUnitLabel(schedule.unit)}` : ''})
              </span>
            </>
          }
        />
      )}
    </section>
  );
}

/** Rename in place: PATCH the name; the server's field errors show next to the field. */
function RenameForm({ sim, onDone }: { sim: Simulation; onDone: () => void }) {
  const rename = useRenameSimulation(String(sim.id));
  const [name, setName] = useState(sim.name ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    const value = name.trim();
    if (value.length > NAME_MAX_LENGTH) {
      setErrors({ name: [`Keep the name to ${NAME_MAX_LENGTH} characters or fewer.`] });
      input.current?.focus();
      return;
    }
    setErrors({});
    rename.mutate(
      { name: value },
      {
        onSuccess: onDone,
        onError: (err) => {
          if (err instanceof ApiError && err.status === 400) {
            const all = err.fieldErrors;
            const { name: nameErrors, ...rest } = all;
            if (nameErrors) setErrors({ name: nameErrors });
            const other = Object.entries(rest).flatMap(([key, messages]) =>
              key === 'non_field_errors' || key === 'detail' ? messages : messages.map((m) => `${key}: ${m}`),
            );
            setFormError(other.length ? other.join(' ') : nameErrors ? null : err.message);
            if (nameErrors) input.current?.focus();
          } else {
            setFormError(errorMessage(err));
          }
        },
      },
    );
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === 'Escape' && !rename.isPending) {
      event.stopPropagation();
      onDone();
    }
  };

  return (
    <form className="rename-form" onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate aria-label="Rename simulation" data-testid="rename-form">
      {formError && <Alert>{formError}</Alert>}
      <FormField name="name" label="Name" hint="Leave it empty to show the theme instead." error={errors.name}>
        {(control) => (
          <input
            {...control}
            ref={input}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (errors.name) setErrors({});
            }}
            maxLength={NAME_MAX_LENGTH + 50}
            data-testid="rename-input"
          />
        )}
      </FormField>
      <div className="rename-actions">
        <button type="submit" className="btn btn-primary btn-small" disabled={rename.isPending}>
          {rename.isPending ? 'Saving…' : 'Save name'}
        </button>
        <button type="button" className="btn btn-small" onClick={onDone} disabled={rename.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Failed jobs, in plain sight: how many, the latest error in full, and one button to retry them all. */
function FailedJobsAlert({ sim }: { sim: Simulation }) {
  const id = String(sim.id);
  const retry = useRetryFailed(id);
  const [retried, setRetried] = useState<number | null>(null);
  const { failed, active } = jobTotals(sim.job_counts);

  if (failed === 0) {
    return retried !== null ? (
      <Alert kind="info">
        {retried === 1 ? 'The failed job is' : `The ${retried} failed jobs are`} back in the queue, due now.
      </Alert>
    ) : null;
  }

  const error = (sim.last_error ?? '').trim();
  const cancelled = sim.status === 'cancelled';
  let next: ReactNode;
  if (cancelled) next = 'The simulation is cancelled, so its failed jobs cannot be retried.';
  else if (active > 0) next = 'Its other jobs still run as scheduled. Fix the cause, then retry the failed ones.';
  else next = 'No jobs are waiting, so no more contacts will be created until you retry. Fix the cause first.';

  return (
    <section className="alert alert-error failed-alert" role="alert" aria-labelledby="failed-title" data-testid="failed-alert">
      <h2 id="failed-title">{failed === 1 ? '1 job failed' : `${failed} jobs failed`}</h2>
      {error && (
        <>
          <p className="failed-label">{failed === 1 ? 'Its error:' : 'The latest error:'}</p>
          <p className="job-error" data-testid="sim-last-error">
            {error}
          </p>
        </>
      )}
      <p>{next}</p>
      {!cancelled && (
        <button
          type="button"
          className="btn"
          disabled={retry.isPending}
          onClick={() => {
            setRetried(null);
            retry.mutate(undefined, { onSuccess: () => setRetried(failed) });
          }}
          data-testid="retry-failed"
        >
          {retry.isPending ? 'Retrying…' : failed === 1 ? 'Retry failed job' : `Retry ${failed} failed jobs`}
        </button>
      )}
      {retry.isError && (
        <p className="retry-error" data-testid="retry-failed-error">
          Could not retry: {errorMessage(retry.error)}
        </p>
      )}
    </section>
  );
}

function TimeField({ label, value, zone }: { label: string; value: string | null; zone: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <Timestamp value={value} zone={zone} />
      </dd>
    </div>
  );
}

/** The number of a page's first job, from its link's `page` and `page_size` (the first page by default). */
function firstJobNumber(url: string | null, pageLength: number): number {
  if (!url) return 1;
  const params = new URL(url, 'http://localhost').searchParams;
  const page = Number(params.get('page') ?? 1);
  const size = Number(params.get('page_size') ?? JOBS_PAGE_SIZE) || pageLength;
  return Number.isInteger(page) && page > 0 ? (page - 1) * size + 1 : 1;
}

/** One page of the jobs, in the order they are due, numbered out of all of them, times in `zone`. */
function JobTimeline({
  simulationId,
  page,
  url,
  zone,
  onPage,
}: {
  simulationId: string;
  page: Page<Job>;
  url: string | null;
  zone: string;
  onPage: (url: string | null) => void;
}) {
  const jobs = page.results;
  const first = firstJobNumber(url, jobs.length);
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
    <>
      <p className="muted small panel-meta" data-testid="jobs-count">
        {jobs.length < page.count
          ? `Jobs ${formatCount(first)} to ${formatCount(first + jobs.length - 1)} of ${formatCount(page.count)}`
          : `${formatCount(page.count)} ${page.count === 1 ? 'job' : 'jobs'}`}
        , in the order they are due; times in {zone}
      </p>
      <ol className="timeline" data-testid="job-timeline" start={first}>
        {jobs.map((job, index) => (
          <li key={job.id} className={`timeline-item timeline-${job.status}`} data-testid="job-item" data-job-status={job.status}>
            <div className="timeline-head">
              <h3>
                Job {formatCount(first + index)} <span className="muted small">of {formatCount(page.count)}</span>
              </h3>
              <StatusChip status={job.status} />
              {job.attempts > 1 && <span className="muted small">{job.attempts} attempts</span>}
            </div>
            <dl className="timeline-times">
              <TimeField label="Scheduled" value={job.scheduled_for} zone={zone} />
              <TimeField label="Started" value={job.started_at} zone={zone} />
              <TimeField label="Finished" value={job.finished_at} zone={zone} />
            </dl>
            {job.status === 'pending' && job.last_error && (
              <p className="job-retrying" data-testid="job-retry-note">
                {job.last_error}
              </p>
            )}
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
                  aria-label={`Retry job ${first + index}`}
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
      <Pager label="Pages of jobs" count={page.count} next={page.next} previous={page.previous} onPage={(link) => onPage(toPath(link))} />
    </>
  );
}
