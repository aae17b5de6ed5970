import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job, Simulation } from '../api/types';
import { server } from '../test/server';
import { contact, job, page, simulation, user } from '../test/fixtures';
import { renderApp } from '../test/utils';

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
    for (const text of ['Ada', 'Lovelace', 'ada@example.com', 'Buyer', 'Analytical Ltd', 'Retail', 'offline']) {
      expect(within(rows[0]!).getByText(text)).toBeInTheDocument();
    }
    const headers = within(screen.getByTestId('contacts-table')).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['First name', 'Last name', 'Email', 'Job title', 'Company', 'Industry', 'Source', 'Created']);
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

  it('shows a not-found state for an unknown simulation', async () => {
    server.use(http.get('/api/simulations/999/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
      http.get('/api/simulations/999/jobs/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
      http.get('/api/simulations/999/contacts/', () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })));
    renderApp('/simulations/999');
    expect(await screen.findByRole('heading', { name: 'Simulation not found' })).toBeInTheDocument();
  });
});
