import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job, Simulation } from '../api/types';
import { server } from '../test/server';
import { buckets, contact, job, page, plannedSimulation, preview, simulation, user } from '../test/fixtures';
import { drawnFills } from '../test/canvas';
import { replayHandler, scheduleHandler, simulationResponse } from '../test/handlers';
import { renderApp } from '../test/utils';
import { formatDateInZone, formatInZone, formatWithZone } from '../lib/planned';

beforeEach(() => {
  server.use(http.get('/api/auth/me/', () => HttpResponse.json(user)));
});

afterEach(() => {
  vi.useRealTimers();
});

/** Serves simulation 7 from mutable state, counting requests per endpoint. */
function backend(sim: Simulation, jobs: Job[], contacts = [contact()]) {
  const state = { sim, jobs, contacts, calls: { sim: 0, jobs: 0, contacts: 0 }, posts: [] as string[] };
  server.use(
    http.get('/api/simulations/7/', () => {
      state.calls.sim += 1;
      return HttpResponse.json(state.sim);
    }),
    http.get('/api/simulations/7/jobs/', () => {
      state.calls.jobs += 1;
      return HttpResponse.json(page(state.jobs));
    }),
    http.get('/api/simulations/7/contacts/', () => {
      state.calls.contacts += 1;
      return HttpResponse.json(page(state.contacts));
    }),
  );
  return state;
}

const finished = { started_at: '2026-11-01T10:00:01Z', finished_at: '2026-11-01T10:00:04Z' };

describe('simulation detail', () => {
  it('shows the job timeline and the contacts table', async () => {
    backend(simulation({ job_counts: { pending: 3, processing: 1, completed: 1, failed: 0, cancelled: 0 }, contacts_created: 1 }), [
      job({ id: 1, status: 'completed', attempts: 1, ...finished }),
      job({ id: 2, status: 'processing', started_at: '2026-11-01T10:03:01Z' }),
      job({ id: 3, status: 'pending' }),
    ]);
    renderApp('/simulations/7');

    const items = await screen.findAllByTestId('job-item');
    expect(items.map((i) => i.dataset.jobStatus)).toEqual(['completed', 'processing', 'pending']);
    expect(within(items[0]!).getByText('Completed')).toBeInTheDocument();
    expect(within(items[0]!).getByText('Finished')).toBeInTheDocument();

    const rows = await screen.findAllByTestId('contact-row');
    expect(rows).toHaveLength(1);
    for (const text of ['Ada Lovelace', 'ada@example.com', '+44 20 7946 0018', 'Buyer', 'Analytical Ltd', 'Lead', 'Retail', 'London, United Kingdom', 'offline']) {
      expect(within(rows[0]!).getByText(text)).toBeInTheDocument();
    }
    const headers = within(screen.getByTestId('contacts-table')).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Name and email', 'Phone', 'Job title and company', 'Lifecycle stage', 'Industry', 'Location', 'Source', 'Created']);
    // Each cell carries its label for the stacked phone layout.
    expect(within(rows[0]!).getByText('London, United Kingdom')).toHaveAttribute('data-label', 'Location');
    expect(within(rows[0]!).getByText('+44 20 7946 0018').closest('td')).toHaveAttribute('data-label', 'Phone');
  });

  it('shows a dash for a contact without phone or place, and the country alone when there is no city', async () => {
    backend(simulation({ status: 'completed', job_counts: { pending: 0, processing: 0, completed: 2, failed: 0, cancelled: 0 } }), [], [
      contact({ id: 1, phone: '', city: '', country: '' }),
      contact({ id: 2, phone: '', city: '', country: 'Kenya' }),
    ]);
    renderApp('/simulations/7');
    const [first, second] = await screen.findAllByTestId('contact-row');
    expect(within(first!).getByText('—', { selector: '[data-label="Phone"]' })).toBeInTheDocument();
    expect(within(first!).getByText('—', { selector: '[data-label="Location"]' })).toBeInTheDocument();
    expect(within(second!).getByText('Kenya', { selector: '[data-label="Location"]' })).toBeInTheDocument();
  });

  it('explains the schedule in plain words', async () => {
    backend(simulation({ record_frequency: '1day' }), [job()], []);
    renderApp('/simulations/7');
    const schedule = await screen.findByTestId('sim-schedule');
    expect(schedule).toHaveTextContent('5 contacts over 4 hours 48 minutes, then it stops (record frequency 1 day)');
    expect(screen.queryByText('Every day')).not.toBeInTheDocument();
  });

  it('shows last_error on a failed job and retries it', async () => {
    const state = backend(simulation({ job_counts: { pending: 0, processing: 0, completed: 4, failed: 1, cancelled: 0 }, status: 'running' }), [
      job({ id: 1, status: 'completed', ...finished }),
      job({ id: 2, status: 'failed', attempts: 3, last_error: 'OpenAI timed out after 3 attempts', ...finished }),
    ]);
    const retried: string[] = [];
    server.use(
      http.post('/api/jobs/:id/retry/', ({ params }) => {
        retried.push(String(params.id));
        state.jobs = state.jobs.map((j) => (j.id === 2 ? { ...j, status: 'pending', last_error: '' } : j));
        return HttpResponse.json(state.jobs[1]);
      }),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    expect(await screen.findByTestId('job-last-error')).toHaveTextContent('OpenAI timed out after 3 attempts');
    const retry = screen.getByRole('button', { name: 'Retry job 2' });
    // Only the failed job offers Retry.
    expect(screen.getAllByRole('button', { name: /Retry job/ })).toHaveLength(1);

    await ue.click(retry);

    await waitFor(() => expect(screen.queryByRole('button', { name: /Retry job/ })).not.toBeInTheDocument());
    expect(retried).toEqual(['2']);
    expect(screen.getAllByTestId('job-item')[1]).toHaveAttribute('data-job-status', 'pending');
    expect(screen.queryByTestId('job-last-error')).not.toBeInTheDocument();
  });

  it('explains a 409 from retry', async () => {
    backend(simulation(), [job({ id: 2, status: 'failed', last_error: 'boom' })]);
    server.use(http.post('/api/jobs/2/retry/', () => HttpResponse.json({ detail: 'Only failed jobs can be retried.' }, { status: 409 })));
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    await ue.click(await screen.findByRole('button', { name: 'Retry job 1' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This job is no longer failed');
  });

  it('asks before cancelling, and cancels on confirmation', async () => {
    const state = backend(simulation(), [job({ id: 1 })], []);
    server.use(
      http.post('/api/simulations/7/cancel/', () => {
        state.posts.push('cancel');
        state.sim = { ...state.sim, status: 'cancelled', job_counts: { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 5 } };
        state.jobs = state.jobs.map((j) => ({ ...j, status: 'cancelled' }));
        return HttpResponse.json(state.sim);
      }),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    await ue.click(await screen.findByRole('button', { name: 'Cancel simulation' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Cancel this simulation?' });
    expect(within(dialog).getByRole('button', { name: 'Keep it' })).toHaveFocus();

    // Escape closes without cancelling.
    await ue.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(state.posts).toEqual([]);

    await ue.click(screen.getByRole('button', { name: 'Cancel simulation' }));
    dialog = screen.getByRole('alertdialog');
    await ue.click(within(dialog).getByRole('button', { name: 'Cancel simulation' }));

    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(state.posts).toEqual(['cancel']);
    expect(within(screen.getByRole('heading', { level: 1 }).parentElement!).getByText('Cancelled')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel simulation' })).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId('job-item')[0]).toHaveAttribute('data-job-status', 'cancelled'));
  });

  it('pauses and resumes', async () => {
    const state = backend(simulation(), [job()], []);
    server.use(
      http.post('/api/simulations/7/:action/', ({ params }) => {
        state.posts.push(String(params.action));
        state.sim = { ...state.sim, status: params.action === 'pause' ? 'paused' : 'running' };
        return HttpResponse.json(state.sim);
      }),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    await ue.click(await screen.findByRole('button', { name: 'Pause' }));
    await ue.click(await screen.findByRole('button', { name: 'Resume' }));
    expect(await screen.findByRole('button', { name: 'Pause' })).toBeInTheDocument();
    expect(state.posts).toEqual(['pause', 'resume']);
  });

  it('updates the contacts live while the simulation runs', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const state = backend(simulation(), [job({ id: 1, status: 'processing' })], []);
    renderApp('/simulations/7');

    expect(await screen.findByRole('heading', { name: 'No contacts yet' })).toBeInTheDocument();
    expect(screen.getByText('The first contact is being created right now…')).toBeInTheDocument();

    state.contacts = [contact({ firstname: 'Grace', email: 'grace@example.com' })];
    state.jobs = [job({ id: 1, status: 'completed', ...finished })];
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3100);
    });
    expect(await screen.findByText('grace@example.com')).toBeInTheDocument();
    expect(screen.getAllByTestId('contact-row')).toHaveLength(1);
  });

  it('stops polling once the simulation is finished', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const state = backend(
      simulation({ status: 'completed', job_counts: { pending: 0, processing: 0, completed: 5, failed: 0, cancelled: 0 }, contacts_created: 1 }),
      [job({ id: 1, status: 'completed', ...finished })],
    );
    renderApp('/simulations/7');
    expect(await screen.findByTestId('contact-row')).toBeInTheDocument();
    const before = { ...state.calls };
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(state.calls).toEqual(before);
    expect(screen.queryByRole('button', { name: 'Cancel simulation' })).not.toBeInTheDocument();
  });

  describe('failed jobs', () => {
    const keyError =
      'Persona generation failed: OpenAI rejected the API key (401 Unauthorized: Incorrect API key provided: sk-wrong). Gave up after 3 attempts.';
    const allFailed = {
      status: 'completed' as const,
      job_counts: { pending: 0, processing: 0, completed: 0, failed: 2, cancelled: 0 },
      last_error: keyError,
    };

    it('shows the count and the full error, does not claim to be live, and retries them all', async () => {
      const state = backend(
        simulation({ ...allFailed, status: 'running' }),
        [
          job({ id: 1, status: 'failed', attempts: 3, last_error: keyError, ...finished }),
          job({ id: 2, status: 'failed', attempts: 3, last_error: keyError, ...finished }),
        ],
        [],
      );
      server.use(
        http.post('/api/simulations/7/retry-failed/', () => {
          state.posts.push('retry-failed');
          state.sim = { ...state.sim, status: 'running', last_error: '', job_counts: { pending: 2, processing: 0, completed: 0, failed: 0, cancelled: 0 } };
          state.jobs = state.jobs.map((j) => ({ ...j, status: 'pending', attempts: 0, last_error: '', started_at: null, finished_at: null }));
          return HttpResponse.json(state.sim);
        }),
      );
      const ue = userEvent.setup();
      renderApp('/simulations/7');

      const alert = await screen.findByTestId('failed-alert');
      expect(alert).toHaveAttribute('role', 'alert');
      expect(within(alert).getByRole('heading', { name: '2 jobs failed' })).toBeInTheDocument();
      expect(within(alert).getByTestId('sim-last-error')).toHaveTextContent(keyError);
      expect(alert).toHaveTextContent('No jobs are waiting, so no more contacts will be created until you retry.');
      // Nothing is pending or processing: not "Live", and no "due in N minutes".
      expect(screen.queryByText('Live')).not.toBeInTheDocument();
      expect(await screen.findByRole('heading', { name: 'No contacts yet' })).toBeInTheDocument();
      expect(screen.getByText('No contacts were created: 2 of its jobs failed. See the error above.')).toBeInTheDocument();
      expect(screen.queryByText(/is due/)).not.toBeInTheDocument();

      await ue.click(within(alert).getByRole('button', { name: 'Retry 2 failed jobs' }));

      await waitFor(() => expect(screen.queryByTestId('failed-alert')).not.toBeInTheDocument());
      expect(state.posts).toEqual(['retry-failed']);
      expect(screen.getByRole('status')).toHaveTextContent('The 2 failed jobs are back in the queue, due now.');
      expect(screen.getByText('Live')).toBeInTheDocument();
      await waitFor(() =>
        expect(screen.getAllByTestId('job-item').map((i) => i.dataset.jobStatus)).toEqual(['pending', 'pending']),
      );
    });

    it('shows the 409 detail when retrying fails', async () => {
      backend(simulation(allFailed), [job({ id: 1, status: 'failed', last_error: keyError })], []);
      server.use(
        http.post('/api/simulations/7/retry-failed/', () =>
          HttpResponse.json({ detail: 'This simulation has no failed jobs to retry.' }, { status: 409 }),
        ),
      );
      const ue = userEvent.setup();
      renderApp('/simulations/7');
      await ue.click(await screen.findByTestId('retry-failed'));
      expect(await screen.findByTestId('retry-failed-error')).toHaveTextContent(
        'Could not retry: This simulation has no failed jobs to retry.',
      );
      expect(screen.getByTestId('failed-alert')).toBeInTheDocument();
    });

    it('stays live while other jobs are pending, and says the next (not the first) contact is due', async () => {
      backend(
        simulation({ job_counts: { pending: 4, processing: 0, completed: 0, failed: 1, cancelled: 0 }, last_error: 'Incorrect API key provided.' }),
        [job({ id: 1, status: 'failed', last_error: 'Incorrect API key provided.', ...finished }), job({ id: 2, scheduled_for: '2099-01-01T00:00:00Z' })],
        [],
      );
      renderApp('/simulations/7');
      const alert = await screen.findByTestId('failed-alert');
      expect(within(alert).getByRole('heading', { name: '1 job failed' })).toBeInTheDocument();
      expect(within(alert).getByRole('button', { name: 'Retry failed job' })).toBeInTheDocument();
      expect(alert).toHaveTextContent('Its other jobs still run as scheduled.');
      expect(screen.getByText('Live')).toBeInTheDocument();
      expect(await screen.findByText(/^The next contact is due/)).toBeInTheDocument();
    });

    it('offers no retry on a cancelled simulation', async () => {
      backend(simulation({ ...allFailed, status: 'cancelled' }), [job({ id: 1, status: 'failed', last_error: keyError })], []);
      renderApp('/simulations/7');
      const alert = await screen.findByTestId('failed-alert');
      expect(alert).toHaveTextContent('The simulation is cancelled, so its failed jobs cannot be retried.');
      expect(screen.queryByTestId('retry-failed')).not.toBeInTheDocument();
    });

    it('shows no alert when nothing failed', async () => {
      backend(simulation(), [job()], []);
      renderApp('/simulations/7');
      expect(await screen.findByText('Live')).toBeInTheDocument();
      expect(screen.queryByTestId('failed-alert')).not.toBeInTheDocument();
    });

    it('shows why a job is being retried while it waits', async () => {
      backend(simulation(), [job({ id: 1, attempts: 1, last_error: 'Attempt 1 of 3 failed: OpenAI timed out. Retrying in 30 s.' })], []);
      renderApp('/simulations/7');
      expect(await screen.findByTestId('job-retry-note')).toHaveTextContent('Attempt 1 of 3 failed: OpenAI timed out. Retrying in 30 s.');
    });
  });

  describe('rename', () => {
    it('renames in place, showing the server field error next to the field', async () => {
      const state = backend(simulation({ name: 'Old name' }), [job()], []);
      const patched: unknown[] = [];
      server.use(
        http.patch('/api/simulations/7/', async ({ request }) => {
          const body = (await request.json()) as { name: string };
          patched.push(body);
          if (body.name === 'Bad') return HttpResponse.json({ name: ['That name is not allowed.'] }, { status: 400 });
          state.sim = { ...state.sim, name: body.name };
          return HttpResponse.json(state.sim);
        }),
      );
      const ue = userEvent.setup();
      renderApp('/simulations/7');

      await ue.click(await screen.findByRole('button', { name: 'Rename' }));
      const input = screen.getByRole('textbox', { name: 'Name' });
      expect(input).toHaveValue('Old name');
      expect(input).toHaveFocus();

      await ue.clear(input);
      await ue.type(input, 'Bad');
      await ue.click(screen.getByRole('button', { name: 'Save name' }));
      await waitFor(() => expect(input).toHaveAttribute('aria-invalid', 'true'));
      expect(input).toHaveAccessibleDescription('That name is not allowed.');
      expect(screen.getByTestId('error-name')).toHaveTextContent('That name is not allowed.');

      await ue.clear(input);
      await ue.type(input, '  New name  ');
      expect(input).not.toHaveAttribute('aria-invalid');
      await ue.click(screen.getByRole('button', { name: 'Save name' }));

      expect(await screen.findByRole('heading', { name: 'New name', level: 1 })).toBeInTheDocument();
      expect(screen.queryByRole('form', { name: 'Rename simulation' })).not.toBeInTheDocument();
      expect(patched).toEqual([{ name: 'Bad' }, { name: 'New name' }]);
    });

    it('closes the form on Escape without saving', async () => {
      backend(simulation({ name: 'Keep me' }), [job()], []);
      const ue = userEvent.setup();
      renderApp('/simulations/7');
      await ue.click(await screen.findByRole('button', { name: 'Rename' }));
      await ue.type(screen.getByRole('textbox', { name: 'Name' }), ' changed');
      await ue.keyboard('{Escape}');
      expect(screen.queryByRole('textbox', { name: 'Name' })).not.toBeInTheDocument();
      expect(screen.getByRole('heading', { name: 'Keep me', level: 1 })).toBeInTheDocument();
    });
  });

  describe('delete', () => {
    it('asks first, says what is removed and that the CRM is untouched, then deletes and goes back to the list', async () => {
      const state = backend(
        simulation({ name: 'Doomed', status: 'completed', job_counts: { pending: 0, processing: 0, completed: 5, failed: 0, cancelled: 0 }, contacts_created: 5 }),
        [job({ id: 1, status: 'completed', ...finished })],
      );
      let deleted = false;
      server.use(
        http.delete('/api/simulations/7/', () => {
          state.posts.push('delete');
          deleted = true;
          return new HttpResponse(null, { status: 204 });
        }),
        http.get('/api/simulations/', () =>
          HttpResponse.json(page(deleted ? [simulation({ id: 3, theme: 'Survivor' })] : [simulation({ name: 'Doomed' }), simulation({ id: 3, theme: 'Survivor' })])),
        ),
      );
      const ue = userEvent.setup();
      const { client } = renderApp('/simulations/7');

      await ue.click(await screen.findByRole('button', { name: 'Delete' }));
      let dialog = screen.getByRole('alertdialog', { name: 'Delete this simulation?' });
      expect(dialog).toHaveAccessibleDescription(
        'This removes Doomed from SimCRM, with its 5 jobs and 5 contacts. Nothing is deleted from a connected CRM. This cannot be undone.',
      );
      await ue.click(within(dialog).getByRole('button', { name: 'Keep it' }));
      expect(state.posts).toEqual([]);

      await ue.click(screen.getByRole('button', { name: 'Delete' }));
      dialog = screen.getByRole('alertdialog');
      const callsBefore = { ...state.calls };
      await ue.click(within(dialog).getByRole('button', { name: 'Delete simulation' }));

      expect(await screen.findByRole('heading', { name: 'Simulations', level: 1 })).toBeInTheDocument();
      expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/);
      const rows = await screen.findAllByTestId('simulation-row');
      expect(screen.getByRole('status')).toHaveTextContent('Deleted “Doomed” from SimCRM.');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toHaveTextContent('Survivor');
      expect(state.posts).toEqual(['delete']);
      // The deleted simulation is not fetched again, and nothing of it is left in the cache.
      expect(state.calls).toEqual(callsBefore);
      expect(client.getQueryCache().findAll({ queryKey: ['simulations', 'detail', '7'] })).toHaveLength(0);
    });

    it('keeps the dialog open with the reason when the delete fails', async () => {
      backend(simulation(), [job()], []);
      server.use(http.delete('/api/simulations/7/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })));
      const ue = userEvent.setup();
      renderApp('/simulations/7');
      await ue.click(await screen.findByRole('button', { name: 'Delete' }));
      await ue.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete simulation' }));
      expect(await within(screen.getByRole('alertdialog')).findByRole('alert')).toHaveTextContent('Could not delete: Not found.');
      expect(screen.getByTestId('location')).toHaveTextContent('/simulations/7');
    });
  });

  it('shows a not-found state for an unknown simulation', async () => {
    server.use(http.get('/api/simulations/999/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
      http.get('/api/simulations/999/jobs/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
      http.get('/api/simulations/999/contacts/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })));
    renderApp('/simulations/999');
    expect(await screen.findByRole('heading', { name: 'Simulation not found' })).toBeInTheDocument();
  });

  it('offers no replay for the original schedule, and no timeline column', async () => {
    backend(simulation(), [job()]);
    renderApp('/simulations/7');
    expect(await screen.findByTestId('contact-row')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Replay' })).not.toBeInTheDocument();
    expect(screen.queryByRole('columnheader', { name: 'In timeline' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('planned-schedule')).not.toBeInTheDocument();
  });
});

const MAX_SEED = '9223372036854775807';
const HOUR = 3_600_000;
/** A window of 6 hours around now: 3 hourly buckets over, 3 to come. */
function windowAroundNow() {
  const now = Date.now();
  const start = new Date(Math.floor(now / HOUR) * HOUR - 3 * HOUR);
  return { starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 6 * HOUR).toISOString() };
}

function plannedBackend(sim: Simulation, contacts = [contact()]) {
  const state = { sim, replays: [] as string[] };
  server.use(
    http.get('/api/simulations/7/', () => simulationResponse(state.sim)),
    http.get('/api/simulations/7/jobs/', () => HttpResponse.json(page([job({ id: 1, status: 'completed', ...finished }), job({ id: 2 })]))),
    http.get('/api/simulations/7/contacts/', () => HttpResponse.json(page(contacts))),
  );
  return state;
}

describe('planned simulation detail', () => {
  it('shows progress as created / total, its settings with the exact seed, and the chart with the past filled in', async () => {
    const window = windowAroundNow();
    const sim = plannedSimulation({ ...window });
    plannedBackend(sim);
    const asked = scheduleHandler(() => ({
      ...preview({ schedule: { starts_at: window.starts_at, ends_at: window.ends_at, buckets: buckets(window.starts_at, window.ends_at, [20, 40, 60, 80, 60, 40]) } })
        .schedule,
      unit: 'hour',
    }));
    renderApp('/simulations/7');

    const progress = await screen.findByTestId('record-progress');
    expect(progress).toHaveTextContent('120 / 300 contacts');
    expect(screen.getByRole('progressbar', { name: '120 of 300 contacts created' })).toHaveAttribute('value', '120');
    expect(screen.getByTestId('sim-total-records')).toHaveTextContent('300');
    expect(screen.getByTestId('sim-curve')).toHaveTextContent('Bell curve');
    expect(screen.getByTestId('sim-timezone')).toHaveTextContent('Europe/Berlin');
    expect(screen.getByTestId('sim-seed')).toHaveTextContent(MAX_SEED);
    expect(screen.getByTestId('sim-window')).toHaveTextContent('→');
    expect(screen.queryByTestId('sim-schedule')).not.toBeInTheDocument();

    // The chart comes from the simulation's own schedule, as the server stored it.
    const chart = await screen.findByTestId('schedule-chart');
    expect(asked).toEqual(['7']);
    expect(chart).toHaveAttribute('data-buckets', '6');
    expect(chart).toHaveAttribute('data-unit', 'hour');
    // 120 created: the first three buckets (20 + 40 + 60) are all there, the rest to come.
    expect(chart).toHaveAttribute('data-created-buckets', '3');
    expect(chart).toHaveTextContent('120 of 300 created');
    expect(chart).toHaveTextContent('(Europe/Berlin; records per hour)');
    expect(within(chart).getByRole('list', { name: 'Legend' })).toHaveTextContent('Planned, still to come');
    const rows = within(within(chart).getByTestId('schedule-table')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.dataset.created)).toEqual(['20', '40', '60', '0', '0', '0']);
    await waitFor(() => expect(chart.querySelector('canvas')).not.toBeNull());
    expect(drawnFills(chart.querySelector('canvas')!)).toBeGreaterThan(0);
  });

  it('says so when the schedule cannot be loaded', async () => {
    plannedBackend(plannedSimulation());
    scheduleHandler(() => [503, { detail: 'The database is unavailable.' }]);
    renderApp('/simulations/7');
    expect(await screen.findByTestId('schedule-unavailable')).toHaveTextContent(
      'The schedule chart is not available: The database is unavailable.',
    );
  });

  it('shows each contact’s instant in the timeline, in the simulation’s zone', async () => {
    plannedBackend(plannedSimulation(), [
      contact({ id: 1, occurred_at: '2026-11-02T08:30:00Z' }),
      contact({ id: 2, firstname: 'Grace', occurred_at: '2026-11-03T12:00:00Z' }),
    ]);
    scheduleHandler();
    renderApp('/simulations/7');
    const rows = await screen.findAllByTestId('contact-row');
    expect(screen.getByRole('columnheader', { name: 'In timeline' })).toBeInTheDocument();
    const cells = rows.map((r) => r.querySelector('[data-column="occurred_at"] time')?.textContent);
    expect(cells).toEqual([formatInZone('2026-11-02T08:30:00Z', 'Europe/Berlin'), formatInZone('2026-11-03T12:00:00Z', 'Europe/Berlin')]);
    // When SimCRM made it goes under the instant, in place of the Created column.
    expect(within(rows[0]!).getByTestId('contact-created')).toHaveTextContent(/^made /);
    expect(screen.queryByRole('columnheader', { name: 'Created' })).not.toBeInTheDocument();
    // Every contact is in the simulation's industry: the column would only repeat it.
    expect(screen.queryByRole('columnheader', { name: 'Industry' })).not.toBeInTheDocument();
    expect(cells[0]).toMatch(/9:30/);
    expect(rows[0]!.querySelector('time')).toHaveAttribute('title', `${formatWithZone('2026-11-02T08:30:00Z', 'Europe/Berlin')} (Europe/Berlin)`);
    expect(screen.getByTestId('contacts-count')).toHaveTextContent('in timeline order (Europe/Berlin)');
  });

  it('replays after a confirm that explains it, and opens the new simulation', async () => {
    plannedBackend(plannedSimulation({ status: 'completed', job_counts: { pending: 0, processing: 0, completed: 300, failed: 0, cancelled: 0 }, contacts_created: 300 }));
    scheduleHandler();
    const replayed = replayHandler(plannedSimulation({ id: 8, name: 'Planned BF (replay)', contacts_created: 0 }));
    server.use(
      http.get('/api/simulations/8/', () => simulationResponse(plannedSimulation({ id: 8, name: 'Planned BF (replay)', contacts_created: 0 }))),
      http.get('/api/simulations/8/jobs/', () => HttpResponse.json(page([]))),
      http.get('/api/simulations/8/contacts/', () => HttpResponse.json(page([]))),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    await ue.click(await screen.findByRole('button', { name: 'Replay' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Replay this simulation?' });
    expect(dialog).toHaveAccessibleDescription(
      new RegExp(
        `^This creates a new simulation with the same settings and the same seed \\(${MAX_SEED}\\): 300 records along the same curve \\(Bell curve\\) in the same window .*Europe/Berlin\\), so the same contacts at the same instants\\..* This simulation stays as it is\\.$`,
      ),
    );
    await ue.click(within(dialog).getByRole('button', { name: 'Keep it as it is' }));
    expect(replayed).toEqual([]);

    await ue.click(screen.getByRole('button', { name: 'Replay' }));
    dialog = screen.getByRole('alertdialog');
    await ue.click(within(dialog).getByRole('button', { name: 'Replay' }));
    expect(await screen.findByRole('heading', { name: 'Planned BF (replay)', level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/8');
    expect(replayed).toEqual(['7']);
  });

  it('keeps the replay dialog open with the reason when it fails', async () => {
    plannedBackend(plannedSimulation());
    scheduleHandler();
    replayHandler([409, { detail: 'Only a planned simulation can be replayed.' }]);
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    await ue.click(await screen.findByRole('button', { name: 'Replay' }));
    await ue.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Replay' }));
    expect(await within(screen.getByRole('alertdialog')).findByRole('alert')).toHaveTextContent(
      'Could not replay: Only a planned simulation can be replayed.',
    );
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/7');
  });
});


describe('jobs and times', () => {
  /** 120 jobs served 50 a page, as DRF pages them (the page size from the link). */
  function pagedJobs(total: number) {
    const all = Array.from({ length: total }, (_, i) =>
      job({ id: i + 1, status: 'completed', scheduled_for: new Date(Date.UTC(2026, 10, 1, 10, i)).toISOString(), ...finished }),
    );
    const asked: string[] = [];
    server.use(
      http.get('/api/simulations/7/jobs/', ({ request }) => {
        const url = new URL(request.url);
        asked.push(url.search);
        const size = Number(url.searchParams.get('page_size') ?? 50);
        const n = Number(url.searchParams.get('page') ?? 1);
        const link = (p: number) => `http://testserver/api/simulations/7/jobs/?page=${p}&page_size=${size}`;
        return HttpResponse.json({
          count: all.length,
          next: n * size < all.length ? link(n + 1) : null,
          previous: n > 1 ? link(n - 1) : null,
          results: all.slice((n - 1) * size, n * size),
        });
      }),
    );
    return asked;
  }

  it('numbers the jobs out of all of them and pages through them', async () => {
    backend(simulation({ status: 'completed', job_counts: { pending: 0, processing: 0, completed: 120, failed: 0, cancelled: 0 } }), []);
    const asked = pagedJobs(120);
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    const jobs = await screen.findByTestId('jobs');
    await within(jobs).findAllByTestId('job-item');
    expect(within(jobs).getByTestId('jobs-count')).toHaveTextContent('Jobs 1 to 50 of 120, in the order they are due; times in UTC');
    expect(within(jobs).getAllByRole('heading', { level: 3 })[0]).toHaveTextContent('Job 1 of 120');
    expect(within(jobs).getByTestId('pager-count')).toHaveTextContent('120 in all');

    await ue.click(within(jobs).getByRole('button', { name: 'Next →' }));
    await waitFor(() => expect(within(jobs).getAllByRole('heading', { level: 3 })[0]).toHaveTextContent('Job 51 of 120'));
    expect(within(jobs).getByTestId('jobs-count')).toHaveTextContent('Jobs 51 to 100 of 120');
    await ue.click(within(jobs).getByRole('button', { name: 'Next →' }));
    await waitFor(() => expect(within(jobs).getAllByTestId('job-item')).toHaveLength(20));
    expect(within(jobs).getAllByRole('heading', { level: 3 }).at(-1)).toHaveTextContent('Job 120 of 120');
    expect(asked).toEqual(['?page_size=50', '?page=2&page_size=50', '?page=3&page_size=50']);
  });

  it('shows every time in the simulation’s zone, named, whatever the browser’s', async () => {
    const zone = 'Pacific/Auckland';
    plannedBackend(plannedSimulation({ timezone: zone, created_at: '2026-11-01T10:00:00Z' }), [
      contact({ id: 1, occurred_at: '2026-11-02T08:30:00Z', created_at: '2026-11-01T10:00:05Z' }),
    ]);
    scheduleHandler();
    renderApp('/simulations/7');

    const created = await screen.findByTestId('sim-created');
    // 10:00 UTC is 23:00 in Auckland (summer time): the day and the hour differ from the browser's UTC.
    expect(created).toHaveTextContent(formatWithZone('2026-11-01T10:00:00Z', zone));
    expect(created).toHaveTextContent(/11:00\s?PM|23:00/);
    expect(screen.getByTestId('sim-timezone')).toHaveTextContent(`${zone} every time on this page`);
    await screen.findAllByTestId('job-item');
    await screen.findAllByTestId('contact-row');
    const times = Array.from(document.querySelectorAll<HTMLTimeElement>('main time, .detail time'));
    expect(times.length).toBeGreaterThanOrEqual(5);
    for (const time of times) {
      expect(time).toHaveAttribute('data-zone', zone);
      // "Nov 1, 2026, 11:00 PM", "Nov 1, 2026, 11:00 PM GMT+13" or "Nov 1, 2026": the zone's day, and its clock.
      expect(time.textContent?.startsWith(formatDateInZone(time.dateTime, zone))).toBe(true);
      if (time.textContent !== formatDateInZone(time.dateTime, zone)) {
        expect(time.textContent?.startsWith(formatInZone(time.dateTime, zone))).toBe(true);
      }
    }
    expect(screen.getByTestId('jobs-count')).toHaveTextContent(`times in ${zone}`);
  });
});

describe('schedule chart colours', () => {
  it('colours every bucket created once all records exist, even when the window reaches past now', async () => {
    const now = Date.now();
    const starts = new Date(now - 5 * HOUR).toISOString();
    const ends = new Date(now + HOUR).toISOString();
    plannedBackend(
      plannedSimulation({
        starts_at: starts,
        ends_at: ends,
        status: 'completed',
        contacts_created: 300,
        job_counts: { pending: 0, processing: 0, completed: 300, failed: 0, cancelled: 0 },
      }),
    );
    scheduleHandler(() => ({ ...preview({ schedule: { starts_at: starts, ends_at: ends, buckets: buckets(starts, ends, [20, 40, 60, 80, 60, 40]) } }).schedule, unit: 'hour' }));
    renderApp('/simulations/7');

    const chart = await screen.findByTestId('schedule-chart');
    expect(chart).toHaveTextContent('300 of 300 created');
    expect(chart).toHaveAttribute('data-created-buckets', '6');
    // Nothing is left to come: the legend has no "to come" colour.
    expect(within(chart).queryByTestId('legend-planned')).not.toBeInTheDocument();
  });

  it('says what was planned but never made once a simulation stops short', async () => {
    const window = windowAroundNow();
    plannedBackend(
      plannedSimulation({
        ...window,
        status: 'cancelled',
        contacts_created: 70,
        job_counts: { pending: 0, processing: 0, completed: 70, failed: 0, cancelled: 230 },
      }),
    );
    scheduleHandler(() => ({ ...preview({ schedule: { ...window, buckets: buckets(window.starts_at, window.ends_at, [20, 40, 60, 80, 60, 40]) } }).schedule, unit: 'hour' }));
    renderApp('/simulations/7');

    const chart = await screen.findByTestId('schedule-chart');
    expect(chart).toHaveAttribute('data-created-buckets', '2');
    expect(within(chart).getByTestId('legend-planned')).toHaveTextContent('Planned, not created (the simulation has stopped)');
    const rows = within(within(chart).getByTestId('schedule-table')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.dataset.created)).toEqual(['20', '40', '10', '0', '0', '0']);
  });
});
