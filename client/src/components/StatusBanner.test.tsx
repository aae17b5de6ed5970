import { act, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../api/hooks';
import { page, systemStatus, user } from '../test/fixtures';
import { server } from '../test/server';
import { renderApp } from '../test/utils';

const MODEL_DETAIL =
  "OpenAI has no model 'gpt-x' available to this key (404 model_not_found). Set `OPENAI_MODEL` to a model the key can use.";

/** GET /api/status/ answers these in turn (the last one from then on); returns how many were asked. */
function statusSequence(...answers: (JsonBodyType | [number, JsonBodyType])[]): { calls: number } {
  const state = { calls: 0 };
  server.use(
    http.get('/api/status/', () => {
      const answer = answers[Math.min(state.calls, answers.length - 1)];
      state.calls += 1;
      return Array.isArray(answer) ? HttpResponse.json(answer[1], { status: answer[0] }) : HttpResponse.json(answer);
    }),
  );
  return state;
}

beforeEach(() => {
  server.use(
    http.get('/api/auth/me/', () => HttpResponse.json(user)),
    http.get('/api/simulations/', () => HttpResponse.json(page([]))),
    http.get('/api/connections/', () => HttpResponse.json(page([]))),
  );
});

afterEach(() => {
  vi.useRealTimers();
});

describe('status banner', () => {
  it('shows nothing when a worker runs and the persona provider works', async () => {
    const status = statusSequence(systemStatus());
    const { client } = renderApp('/');
    expect(await screen.findByRole('heading', { name: 'No simulations yet' })).toBeInTheDocument();
    await waitFor(() => expect(client.getQueryState(keys.status)?.status).toBe('success'));
    expect(status.calls).toBe(1);
    expect(screen.queryByTestId('status-banner-worker')).not.toBeInTheDocument();
    expect(screen.queryByTestId('status-banner-provider')).not.toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('says no worker runs, so jobs wait, with the command to start one and when one was last seen', async () => {
    const lastSeen = new Date(Date.now() - 5 * 60_000).toISOString();
    statusSequence(
      systemStatus({
        worker: { alive: false, last_seen_at: lastSeen, detail: 'No worker has been seen for 10 s: jobs wait until one runs.' },
      }),
    );
    renderApp('/');

    const banner = await screen.findByTestId('status-banner-worker');
    expect(banner).toHaveAttribute('role', 'status');
    expect(banner).toHaveAttribute('aria-live', 'polite');
    expect(banner).toHaveTextContent('No worker is running, so jobs wait');
    expect(within(banner).getByText('python manage.py qcluster').tagName).toBe('CODE');
    expect(banner).toHaveTextContent('A worker was last seen 5 minutes ago.');
    expect(banner.querySelector('time')).toHaveAttribute('dateTime', lastSeen);
    // Above the page's content, inside the main landmark.
    const main = screen.getByRole('main');
    expect(main.firstElementChild).toContainElement(banner);
    expect(screen.queryByTestId('status-banner-provider')).not.toBeInTheDocument();
  });

  it('leaves out "last seen" when no worker ever ran', async () => {
    statusSequence(systemStatus({ worker: { alive: false, last_seen_at: null } }));
    renderApp('/');
    const banner = await screen.findByTestId('status-banner-worker');
    expect(within(banner).getByText('python manage.py qcluster')).toBeInTheDocument();
    expect(banner).not.toHaveTextContent(/last seen/i);
  });

  it('says the persona provider has no model, with the server’s detail and the setting to fix it', async () => {
    statusSequence(systemStatus({ persona_provider: { model: 'gpt-x', status: 'unavailable', detail: MODEL_DETAIL, problem: 'model' } }));
    renderApp('/');

    const banner = await screen.findByTestId('status-banner-provider');
    expect(banner).toHaveAttribute('role', 'status');
    expect(banner).toHaveAttribute('aria-live', 'polite');
    expect(banner).toHaveTextContent('The persona provider (OpenAI, model gpt-x) has no model to use, so new contacts fail.');
    expect(within(banner).getByTestId('status-provider-detail')).toHaveTextContent(
      "OpenAI has no model 'gpt-x' available to this key (404 model_not_found). Set OPENAI_MODEL to a model the key can use.",
    );
    const settings = within(banner)
      .getAllByText((_, el) => el?.tagName === 'CODE')
      .map((el) => el.textContent);
    expect(settings).toEqual(['OPENAI_MODEL', 'OPENAI_MODEL', 'auto', 'SIMCRM_PERSONA_PROVIDER=offline']);
    expect(screen.queryByTestId('status-banner-worker')).not.toBeInTheDocument();
  });

  it('says an unreachable OpenAI could not be reached, at which address, and never asks for a key or a model', async () => {
    statusSequence(
      systemStatus({
        persona_provider: {
          model: null,
          status: 'unavailable',
          problem: 'unreachable',
          detail:
            'Could not connect to OpenAI at http://127.0.0.1:9/v1. Check that this machine can reach it (network, proxy, firewall) and that OPENAI_BASE_URL is right (unset, it is https://api.openai.com/v1).',
        },
      }),
    );
    renderApp('/');

    const banner = await screen.findByTestId('status-banner-provider');
    expect(banner).toHaveTextContent('The persona provider (OpenAI) could not be reached, so new contacts fail.');
    expect(within(banner).getByTestId('status-provider-detail')).toHaveTextContent('Could not connect to OpenAI at http://127.0.0.1:9/v1.');
    const fix = within(banner).getByTestId('status-provider-fix');
    expect(fix).toHaveTextContent('Check that the server can reach that address (network, proxy, firewall)');
    expect(within(fix).getByText('OPENAI_BASE_URL').tagName).toBe('CODE');
    expect(fix).not.toHaveTextContent('OPENAI_API_KEY');
    expect(fix).not.toHaveTextContent('OPENAI_MODEL');
  });

  it('asks for a valid key when OpenAI refuses it, and keeps the settings advice for an older server', async () => {
    statusSequence(systemStatus({ persona_provider: { model: null, status: 'unavailable', problem: 'key', detail: 'OpenAI rejected the API key (HTTP 401).' } }));
    const { unmount } = renderApp('/');
    const banner = await screen.findByTestId('status-banner-provider');
    expect(banner).toHaveTextContent('The persona provider (OpenAI) refuses the key');
    expect(within(banner).getByTestId('status-provider-fix')).toHaveTextContent('Set OPENAI_API_KEY to a valid, active key');
    unmount();

    const older: Record<string, unknown> = systemStatus({ persona_provider: { status: 'unavailable', detail: 'Something failed.' } });
    delete (older.persona_provider as Record<string, unknown>).problem;
    statusSequence(older as JsonBodyType);
    renderApp('/');
    const fallback = await screen.findByTestId('status-banner-provider');
    expect(fallback).toHaveTextContent('is unavailable, so new contacts fail.');
    expect(within(fallback).getByTestId('status-provider-fix')).toHaveTextContent('set OPENAI_API_KEY and OPENAI_MODEL');
  });

  it('shows both at once, on every signed-in page', async () => {
    statusSequence(
      systemStatus({
        worker: { alive: false, last_seen_at: null },
        persona_provider: { model: null, status: 'unavailable', detail: 'OpenAI rejected the API key.' },
      }),
    );
    renderApp('/connections');
    const worker = await screen.findByTestId('status-banner-worker');
    const provider = screen.getByTestId('status-banner-provider');
    expect(provider).toHaveTextContent('The persona provider (OpenAI) is unavailable');
    expect(provider).toHaveTextContent('OpenAI rejected the API key.');
    expect(worker.compareDocumentPosition(provider) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('asks again every 15 seconds and goes away when all is well', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const status = statusSequence(
      systemStatus({ worker: { alive: false, last_seen_at: null }, persona_provider: { status: 'unavailable', detail: MODEL_DETAIL } }),
      systemStatus(),
    );
    renderApp('/');
    expect(await screen.findByTestId('status-banner-worker')).toBeInTheDocument();
    expect(screen.getByTestId('status-banner-provider')).toBeInTheDocument();
    expect(status.calls).toBe(1);

    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(status.calls).toBe(1);
    expect(screen.getByTestId('status-banner-worker')).toBeInTheDocument();

    await act(async () => {
      await vi.advanceTimersByTimeAsync(5_100);
    });
    expect(status.calls).toBe(2);
    await waitFor(() => expect(screen.queryByTestId('status-banner-worker')).not.toBeInTheDocument());
    expect(screen.queryByTestId('status-banner-provider')).not.toBeInTheDocument();
  });

  it('shows nothing when the status cannot be had, not even the last answer', async () => {
    statusSequence(systemStatus({ worker: { alive: false } }), [500, { detail: 'boom' }]);
    const { client } = renderApp('/');
    expect(await screen.findByTestId('status-banner-worker')).toBeInTheDocument();

    await act(async () => {
      await client.refetchQueries({ queryKey: keys.status });
    });
    await waitFor(() => expect(client.getQueryState(keys.status)?.status).toBe('error'));
    expect(screen.queryByTestId('status-banner-worker')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.queryByText(/boom/)).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'No simulations yet' })).toBeInTheDocument();
  });
});
