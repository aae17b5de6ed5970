import { act, screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { server } from '../test/server';
import { page, plannedSimulation, simulation, user } from '../test/fixtures';
import { plannedWindow } from '../lib/planned';
import { renderApp } from '../test/utils';

beforeEach(() => {
  server.use(http.get('/api/auth/me/', () => HttpResponse.json(user)));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('simulations list', () => {
  it('shows status, frequency and progress, and refreshes every 3 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let calls = 0;
    server.use(
      http.get('/api/simulations/', () => {
        calls += 1;
        const done = calls === 1 ? 0 : 2;
        return HttpResponse.json(
          page([
            simulation({
              id: 7,
              name: 'BF test',
              record_frequency: '4hrs',
              job_counts: { pending: 5 - done, processing: 0, completed: done, failed: 0, cancelled: 0 },
              contacts_created: done,
            }),
            simulation({ id: 6, theme: 'Old one', status: 'completed', record_frequency: '1mo' }),
          ]),
        );
      }),
    );
    renderApp('/');

    const rows = await screen.findAllByTestId('simulation-row');
    expect(rows).toHaveLength(2);
    const first = rows[0]!;
    expect(within(first).getByRole('link', { name: 'BF test' })).toHaveAttribute('href', '/simulations/7');
    expect(within(first).getByText('Running')).toBeInTheDocument();
    expect(within(first).getByText('5 contacts over 48 minutes, then it stops')).toBeInTheDocument();
    expect(within(first).queryByTestId('failed-badge')).not.toBeInTheDocument();
    expect(within(first).queryByTestId('row-last-error')).not.toBeInTheDocument();
    expect(within(first).getByTestId('job-progress')).toHaveTextContent('0 of 5 jobs done · 0 contacts');
    expect(within(rows[1]!).getByText('5 contacts over 6 days, then it stops')).toBeInTheDocument();
    expect(within(rows[1]!).getByText('Completed')).toBeInTheDocument();
    const callsAfterFirstPaint = calls;

    await act(async () => {
      await vi.advanceTimersByTimeAsync(3100);
    });
    expect(calls).toBeGreaterThan(callsAfterFirstPaint);
    expect(await screen.findByText('2 of 5 jobs done · 2 contacts')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: '2 of 5 jobs done' })).toHaveAttribute('value', '2');
  });

  it('shows failed jobs and the latest error on the row, cut short with the full text in the title', async () => {
    const longError =
      'Persona generation failed: OpenAI rejected the API key (401 Unauthorized: Incorrect API key provided: sk-wrong). ' +
      'Check OPENAI_API_KEY and restart the worker.';
    server.use(
      http.get('/api/simulations/', () =>
        HttpResponse.json(
          page([
            simulation({
              id: 9,
              name: 'Broken key',
              status: 'completed',
              job_counts: { pending: 0, processing: 0, completed: 0, failed: 2, cancelled: 0 },
              last_error: longError,
            }),
            simulation({ id: 8, theme: 'Healthy one', last_error: '' }),
          ]),
        ),
      ),
    );
    renderApp('/');

    const [broken, healthy] = await screen.findAllByTestId('simulation-row');
    expect(within(broken!).getByTestId('failed-badge')).toHaveTextContent('2 failed');
    const error = within(broken!).getByTestId('row-last-error');
    expect(error).toHaveAttribute('title', longError);
    expect(error.textContent).toMatch(/^Last error: Persona generation failed: OpenAI rejected the API key/);
    expect(error.textContent).toMatch(/…$/);
    expect(error.textContent!.length).toBeLessThan(longError.length);
    expect(within(healthy!).queryByTestId('failed-badge')).not.toBeInTheDocument();
    expect(within(healthy!).queryByTestId('row-last-error')).not.toBeInTheDocument();
  });

  it('shows a short error in full', async () => {
    server.use(
      http.get('/api/simulations/', () =>
        HttpResponse.json(
          page([
            simulation({
              job_counts: { pending: 3, processing: 0, completed: 1, failed: 1, cancelled: 0 },
              last_error: 'OpenAI timed out.',
            }),
          ]),
        ),
      ),
    );
    renderApp('/');
    const row = await screen.findByTestId('simulation-row');
    expect(within(row).getByTestId('failed-badge')).toHaveTextContent('1 failed');
    expect(within(row).getByTestId('row-last-error')).toHaveTextContent(/^Last error: OpenAI timed out\.$/);
  });

  it('designs the empty state', async () => {
    server.use(http.get('/api/simulations/', () => HttpResponse.json(page([]))));
    renderApp('/');
    expect(await screen.findByRole('heading', { name: 'No simulations yet' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Start your first simulation' })).toHaveAttribute('href', '/simulations/new');
    // What SimCRM does now, not only the original five contacts.
    const says = screen.getByRole('heading', { name: 'No simulations yet' }).parentElement?.textContent ?? '';
    expect(says).toMatch(/original schedule makes 5 contacts/);
    expect(says).toMatch(/planned run .* companies, deals and lifecycle stages/);
    expect(says).not.toMatch(/creates five realistic CRM contacts/);
  });

  it('shows an error state with a way to try again', async () => {
    server.use(http.get('/api/simulations/', () => HttpResponse.json({ detail: 'boom' }, { status: 500 })));
    renderApp('/');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load simulations');
    expect(alert).toHaveTextContent('boom');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });

  it('pages through with the next/previous links', async () => {
    server.use(
      http.get('/api/simulations/', ({ request }) => {
        const second = new URL(request.url).searchParams.get('page') === '2';
        return HttpResponse.json(
          second
            ? { count: 2, next: null, previous: 'http://testserver/api/simulations/', results: [simulation({ id: 1, theme: 'Second page sim' })] }
            : { count: 2, next: 'http://testserver/api/simulations/?page=2', previous: null, results: [simulation({ id: 2, theme: 'First page sim' })] },
        );
      }),
    );
    renderApp('/');
    expect(await screen.findByText('First page sim')).toBeInTheDocument();
    act(() => screen.getByRole('button', { name: 'Next →' }).click());
    expect(await screen.findByText('Second page sim')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next →' })).toBeDisabled();
  });

  it('shows a planned simulation’s progress as created / total, with its records, curve and window', async () => {
    const planned = plannedSimulation({ id: 11, name: 'Big run', total_records: 1500, contacts_created: 420, job_counts: { pending: 1080, processing: 0, completed: 419, failed: 1, cancelled: 0 } });
    server.use(http.get('/api/simulations/', () => HttpResponse.json(page([planned, simulation({ id: 3 })]))));
    renderApp('/');
    const [row, original] = await screen.findAllByTestId('simulation-row');
    expect(within(row!).getByTestId('record-progress')).toHaveTextContent('420 / 1,500 contacts · 1 failed');
    expect(within(row!).getByRole('progressbar', { name: '420 of 1,500 contacts created' })).toHaveAttribute('max', '1500');
    expect(within(row!).queryByTestId('job-progress')).not.toBeInTheDocument();
    expect(row).toHaveTextContent('1,500 records · Bell curve');
    expect(row).toHaveTextContent(`${plannedWindow(planned)} (Europe/Berlin)`);
    // The original schedule keeps its jobs view.
    expect(within(original!).getByTestId('job-progress')).toHaveTextContent('0 of 5 jobs done · 0 contacts');
  });
});
