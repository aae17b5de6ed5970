import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../api/types';
import { server } from '../test/server';
import { connection, page, user } from '../test/fixtures';
import { renderApp } from '../test/utils';

beforeEach(() => {
  server.use(http.get('/api/auth/me/', () => HttpResponse.json(user)));
});

/** Serves the user's connections from mutable state, recording what was sent. */
function backend(initial: Connection[]) {
  const state = {
    connections: initial,
    created: [] as unknown[],
    patched: [] as { id: string; body: unknown }[],
    deleted: [] as string[],
    retried: [] as string[],
    /** The next POST's answer: [status, body]; a 201 with the new connection when null. */
    createAnswer: null as [number, JsonBodyType] | null,
    /** The next PATCH's answer, likewise. */
    patchAnswer: null as [number, JsonBodyType] | null,
    retryCount: 0,
  };
  server.use(
    http.get('/api/connections/', () => HttpResponse.json(page(state.connections))),
    http.post('/api/connections/', async ({ request }) => {
      const body = (await request.json()) as Record<string, string>;
      state.created.push(body);
      if (state.createAnswer) return HttpResponse.json(state.createAnswer[1], { status: state.createAnswer[0] });
      const salesforce = body.kind === 'salesforce';
      const last4 = (body.access_token ?? body.client_secret ?? '').slice(-4);
      const made = connection({
        id: 40 + state.created.length,
        name: body.name,
        kind: salesforce ? 'salesforce' : 'hubspot',
        base_url: body.instance_url ?? body.base_url ?? 'https://api.hubapi.com',
        tier: salesforce ? 'org' : ((body.tier as Connection['tier'] | undefined) ?? 'starter'),
        token_last4: last4,
        secret_last4: last4,
        client_id: body.client_id ?? '',
        daily_share: salesforce ? Number(body.daily_share) : null,
        portal_id: salesforce ? null : 777,
      });
      state.connections = [made, ...state.connections];
      return HttpResponse.json(made, { status: 201 });
    }),
    http.patch('/api/connections/:id/', async ({ params, request }) => {
      const body = (await request.json()) as Record<string, string>;
      state.patched.push({ id: String(params.id), body });
      if (state.patchAnswer) return HttpResponse.json(state.patchAnswer[1], { status: state.patchAnswer[0] });
      state.connections = state.connections.map((c) =>
        String(c.id) === params.id
          ? {
              ...c,
              status: 'ok',
              last_error: '',
              token_last4: (body.access_token ?? body.client_secret ?? '').slice(-4),
              secret_last4: (body.access_token ?? body.client_secret ?? '').slice(-4),
            }
          : c,
      );
      return HttpResponse.json(state.connections.find((c) => String(c.id) === params.id));
    }),
    http.delete('/api/connections/:id/', ({ params }) => {
      state.deleted.push(String(params.id));
      state.connections = state.connections.filter((c) => String(c.id) !== params.id);
      return new HttpResponse(null, { status: 204 });
    }),
    http.post('/api/connections/:id/retry-failed/', ({ params }) => {
      state.retried.push(String(params.id));
      return HttpResponse.json({ retried: state.retryCount });
    }),
  );
  return state;
}

const refused = connection({
  id: 5,
  name: 'Production portal',
  base_url: 'https://api.hubapi.com',
  tier: 'professional',
  token_last4: '1234',
  status: 'invalid',
  last_error: 'HubSpot answered 401: the token is expired.',
  portal_id: 998877,
});
const limited = connection({ id: 6, name: 'Busy portal', base_url: 'https://api.hubapi.com', status: 'rate_limited', token_last4: '9999' });

function rowOf(name: string): HTMLElement {
  const row = screen.getAllByTestId('connection-row').find((r) => within(r).queryByRole('heading', { name }));
  if (!row) throw new Error(`No connection row named ${name}`);
  return row;
}

describe('connections', () => {
  it('is in the main navigation, and explains what a connection is for when there is none', async () => {
    backend([]);
    renderApp('/connections');
    expect(await screen.findByRole('heading', { name: 'No connections yet' })).toBeInTheDocument();
    expect(screen.getByText(/Without a connection, simulations keep their records in SimCRM only/)).toBeInTheDocument();
    const link = within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Connections' });
    expect(link).toHaveAttribute('href', '/connections');
    expect(link).toHaveAttribute('data-testid', 'nav-connections');
    expect(screen.getByRole('heading', { name: 'Add connection' })).toBeInTheDocument();
    expect(screen.queryByTestId('connection-row')).not.toBeInTheDocument();
  });

  it('lists each connection with its status in words, portal, tier, the token’s last 4 and the last error', async () => {
    backend([connection(), refused, limited]);
    renderApp('/connections');
    const rows = await screen.findAllByTestId('connection-row');
    expect(rows.map((r) => r.dataset.status)).toEqual(['ok', 'invalid', 'rate_limited']);

    const ok = rowOf('Stand-in');
    expect(within(ok).getByTestId('connection-status')).toHaveTextContent('Connected');
    expect(within(ok).getByTestId('connection-portal')).toHaveTextContent('12345');
    expect(within(ok).getByTestId('connection-token')).toHaveTextContent('••••cdef');
    expect(within(ok).getByTestId('connection-tier')).toHaveTextContent('Free or Starter');
    expect(within(ok).getByTestId('connection-base-url')).toHaveTextContent('http://127.0.0.1:8765');
    expect(within(ok).queryByTestId('connection-held')).not.toBeInTheDocument();
    expect(within(ok).queryByTestId('connection-last-error')).not.toBeInTheDocument();

    const bad = rowOf('Production portal');
    expect(within(bad).getByTestId('connection-status')).toHaveTextContent('Token refused');
    expect(within(bad).getByTestId('connection-held')).toHaveTextContent('HubSpot refused the token: deliveries are held until you fix it.');
    expect(within(bad).getByTestId('connection-last-error')).toHaveTextContent('HubSpot answered 401: the token is expired.');
    expect(within(bad).getByTestId('connection-token')).toHaveTextContent('••••1234');
    expect(within(bad).getByTestId('connection-portal')).toHaveTextContent('998877');
    expect(within(bad).getByTestId('connection-tier')).toHaveTextContent('Professional');
    // The token itself is nowhere on the page.
    expect(document.body).not.toHaveTextContent('pat-');

    const busy = rowOf('Busy portal');
    expect(within(busy).getByTestId('connection-status')).toHaveTextContent('Daily limit reached');
    expect(within(busy).getByTestId('connection-held')).toHaveTextContent(
      "HubSpot's daily limit is reached: deliveries resume when HubSpot accepts again.",
    );
  });

  it('shows per connection how many records were delivered, are waiting (held while refused) and failed', async () => {
    backend([
      connection({ delivery: { pending: 12, synced: 1480, failed: 3 } }),
      { ...refused, delivery: { pending: 40, synced: 0, failed: 0 } },
    ]);
    renderApp('/connections');
    await screen.findAllByTestId('connection-row');
    const ok = within(rowOf('Stand-in')).getByTestId('connection-delivery');
    expect(ok).toHaveTextContent('1,480 delivered · 12 waiting · 3 failed');
    expect(ok).toHaveAttribute('data-failed', '3');
    expect(within(rowOf('Production portal')).getByTestId('connection-delivery')).toHaveTextContent(
      '0 delivered · 40 held · 0 failed',
    );
  });

  it('adds a connection, showing a refused token on the token field and keeping what was typed', async () => {
    const state = backend([]);
    state.createAnswer = [400, { access_token: ['HubSpot refused this token (401 Unauthorized).'] }];
    const ue = userEvent.setup();
    renderApp('/connections');

    const token = await screen.findByLabelText('Access token');
    expect(token).toHaveAttribute('type', 'password');
    const base = screen.getByLabelText(/Base URL/);
    expect(base).toHaveAttribute('placeholder', 'https://api.hubapi.com');
    expect(base).toHaveAccessibleDescription(/python manage\.py hubspot_standin .*http:\/\/127\.0\.0\.1:8765/);
    const tier = screen.getByLabelText('HubSpot tier');
    expect(within(tier).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Free or Starter (100 requests per 10 s)',
      'Professional (190 requests per 10 s)',
      'Enterprise (190 requests per 10 s)',
    ]);

    // Nothing is sent without a name and a token.
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Enter a name.');
    expect(token).toHaveAccessibleDescription('Enter the access token.');
    expect(state.created).toEqual([]);

    await ue.type(screen.getByLabelText('Name'), 'Local stand-in');
    await ue.type(token, 'pat-wrong');
    await ue.type(base, 'http://127.0.0.1:8765');
    await ue.selectOptions(tier, 'professional');
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));

    await waitFor(() => expect(token).toHaveAccessibleDescription('HubSpot refused this token (401 Unauthorized).'));
    expect(token).toHaveAttribute('aria-invalid', 'true');
    expect(token).toHaveFocus();
    expect(screen.getByTestId('error-access_token')).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid');
    expect(base).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(state.created).toEqual([
      { name: 'Local stand-in', kind: 'hubspot', access_token: 'pat-wrong', base_url: 'http://127.0.0.1:8765', tier: 'professional' },
    ]);
    expect(screen.getByLabelText('Name')).toHaveValue('Local stand-in');

    // An unreachable address shows on the base URL field, a general problem above the form.
    state.createAnswer = [400, { base_url: ['Could not reach http://127.0.0.1:8765.'], non_field_errors: ['Try again later.'] }];
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    await waitFor(() => expect(base).toHaveAccessibleDescription('Could not reach http://127.0.0.1:8765.'));
    expect(token).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).toHaveTextContent('Try again later.');

    // A good token: added, listed, and the form is empty again.
    state.createAnswer = null;
    await ue.clear(token);
    await ue.type(token, 'pat-standin-0123456789abcdef');
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    const row = await screen.findByTestId('connection-row');
    expect(within(row).getByRole('heading', { name: 'Local stand-in' })).toBeInTheDocument();
    expect(within(row).getByTestId('connection-token')).toHaveTextContent('••••cdef');
    expect(screen.getByRole('status')).toHaveTextContent('Added “Local stand-in”: HubSpot portal 777 accepted the token.');
    expect(screen.getByLabelText('Name')).toHaveValue('');
    expect(token).toHaveValue('');
    expect(state.created.at(-1)).toMatchObject({ access_token: 'pat-standin-0123456789abcdef' });
  });

  it('sends no base URL when it is left empty', async () => {
    const state = backend([]);
    const ue = userEvent.setup();
    renderApp('/connections');
    await ue.type(await screen.findByLabelText('Name'), 'Sandbox');
    await ue.type(screen.getByLabelText('Access token'), 'pat-na1-good');
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    await screen.findByTestId('connection-row');
    expect(state.created).toEqual([{ name: 'Sandbox', kind: 'hubspot', access_token: 'pat-na1-good', tier: 'starter' }]);
  });

  it('fixes a refused token: the new refusal on the field, then the connection is OK again', async () => {
    const state = backend([refused]);
    state.patchAnswer = [400, { access_token: ['HubSpot refused this token too.'] }];
    const ue = userEvent.setup();
    renderApp('/connections');

    const row = await screen.findByTestId('connection-row');
    await ue.click(within(row).getByRole('button', { name: 'Fix token' }));
    const form = within(row).getByRole('form', { name: 'New token for Production portal' });
    const input = within(form).getByLabelText('New access token');
    expect(input).toHaveAttribute('type', 'password');
    expect(input).toHaveFocus();

    await ue.type(input, 'pat-still-wrong');
    await ue.click(within(form).getByRole('button', { name: 'Save token' }));
    await waitFor(() => expect(input).toHaveAccessibleDescription('HubSpot refused this token too.'));
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(row).toHaveAttribute('data-status', 'invalid');

    state.patchAnswer = null;
    await ue.clear(input);
    await ue.type(input, 'pat-good-5678');
    await ue.click(within(form).getByRole('button', { name: 'Save token' }));

    await waitFor(() => expect(screen.getByTestId('connection-row')).toHaveAttribute('data-status', 'ok'));
    expect(state.patched).toEqual([
      { id: '5', body: { access_token: 'pat-still-wrong' } },
      { id: '5', body: { access_token: 'pat-good-5678' } },
    ]);
    const updated = screen.getByTestId('connection-row');
    expect(within(updated).queryByRole('form')).not.toBeInTheDocument();
    expect(within(updated).getByTestId('connection-token')).toHaveTextContent('••••5678');
    expect(within(updated).getByTestId('connection-status')).toHaveTextContent('Connected');
    expect(within(updated).getByTestId('connection-notice')).toHaveTextContent('held deliveries resume');
    expect(within(updated).queryByTestId('connection-held')).not.toBeInTheDocument();
  });

  it('adds a Salesforce connection: its own fields, the daily share as a fraction, a refused secret on its field', async () => {
    const state = backend([]);
    state.createAnswer = [400, { client_secret: ['Salesforce refused the client credentials (400 invalid_client).'] }];
    const ue = userEvent.setup();
    renderApp('/connections');

    await ue.selectOptions(await screen.findByLabelText('CRM'), 'salesforce');
    expect(screen.queryByLabelText('Access token')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('HubSpot tier')).not.toBeInTheDocument();
    const url = screen.getByLabelText('My Domain URL');
    expect(url).toHaveAttribute('placeholder', 'https://yourcompany.my.salesforce.com');
    expect(url).toHaveAccessibleDescription(/python manage\.py salesforce_standin .*http:\/\/127\.0\.0\.1:8766/);
    const key = screen.getByLabelText('Consumer key');
    const secret = screen.getByLabelText('Consumer secret');
    expect(secret).toHaveAttribute('type', 'password');
    const share = screen.getByLabelText('Daily share (%)');
    expect(share).toHaveValue(50);

    // Nothing is sent without the credentials, or with a share outside 1 to 100.
    await ue.type(screen.getByLabelText('Name'), 'Developer org');
    await ue.clear(share);
    await ue.type(share, '0');
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    expect(url).toHaveAccessibleDescription('Enter the org’s My Domain URL.');
    expect(key).toHaveAccessibleDescription('Enter the Connected App’s consumer key.');
    expect(secret).toHaveAccessibleDescription('Enter the Connected App’s consumer secret.');
    expect(share).toHaveAccessibleDescription('Enter a share from 1 to 100 percent.');
    expect(url).toHaveFocus();
    expect(state.created).toEqual([]);

    await ue.type(url, 'http://127.0.0.1:8766');
    await ue.type(key, '3MVG9standin.simcrm.local');
    await ue.type(secret, 'wrong-secret');
    await ue.clear(share);
    await ue.type(share, '25');
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    await waitFor(() => expect(secret).toHaveAccessibleDescription('Salesforce refused the client credentials (400 invalid_client).'));
    expect(secret).toHaveFocus();
    expect(state.created).toEqual([
      {
        name: 'Developer org',
        kind: 'salesforce',
        instance_url: 'http://127.0.0.1:8766',
        client_id: '3MVG9standin.simcrm.local',
        client_secret: 'wrong-secret',
        daily_share: 0.25,
      },
    ]);

    state.createAnswer = null;
    await ue.clear(secret);
    await ue.type(secret, 'standin-secret-0123456789ABCDEF');
    await ue.click(screen.getByRole('button', { name: 'Add connection' }));
    const row = await screen.findByTestId('connection-row');
    expect(screen.getByRole('status')).toHaveTextContent('Added “Developer org”: Salesforce accepted the client credentials.');
    expect(within(row).getByTestId('connection-client-id')).toHaveTextContent('3MVG9standin.simcrm.local');
    expect(within(row).getByTestId('connection-token')).toHaveTextContent('••••CDEF');
    expect(within(row).getByTestId('connection-daily-share')).toHaveTextContent('25%');
    expect(within(row).queryByTestId('connection-portal')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('standin-secret-0123456789ABCDEF');
  });

  it('holds a Salesforce connection whose secret is refused, and fixes it with a new consumer secret', async () => {
    const org = connection({
      id: 8,
      name: 'Developer org',
      kind: 'salesforce',
      base_url: 'https://acme-dev-ed.develop.my.salesforce.com',
      tier: 'org',
      token_last4: 'AAAA',
      secret_last4: 'AAAA',
      client_id: '3MVG9abc',
      daily_share: 0.5,
      portal_id: null,
      status: 'invalid',
      last_error: 'Salesforce refused the client credentials (400 invalid_client: invalid client credentials).',
    });
    const state = backend([org]);
    const ue = userEvent.setup();
    renderApp('/connections');

    const row = await screen.findByTestId('connection-row');
    expect(within(row).getByTestId('connection-held')).toHaveTextContent(
      'Salesforce refused the client secret: deliveries are held until you fix it.',
    );
    await ue.click(within(row).getByRole('button', { name: 'Fix client secret' }));
    const form = within(row).getByRole('form', { name: 'New client secret for Developer org' });
    const input = within(form).getByLabelText('New consumer secret');
    await ue.type(input, 'rotated-secret-4321');
    await ue.click(within(form).getByRole('button', { name: 'Save client secret' }));
    await waitFor(() => expect(screen.getByTestId('connection-row')).toHaveAttribute('data-status', 'ok'));
    expect(state.patched).toEqual([{ id: '8', body: { client_secret: 'rotated-secret-4321' } }]);
    expect(within(screen.getByTestId('connection-row')).getByTestId('connection-notice')).toHaveTextContent(
      'Client secret saved: Salesforce accepted it, so held deliveries resume.',
    );
  });

  it('retries the failed deliveries and says how many were queued', async () => {
    const state = backend([connection(), refused]);
    state.retryCount = 3;
    const ue = userEvent.setup();
    renderApp('/connections');
    await screen.findAllByTestId('connection-row');

    await ue.click(within(rowOf('Stand-in')).getByRole('button', { name: 'Retry failed deliveries' }));
    expect(await within(rowOf('Stand-in')).findByTestId('connection-notice')).toHaveTextContent('Queued 3 failed deliveries again.');
    expect(state.retried).toEqual(['3']);
    expect(within(rowOf('Production portal')).queryByTestId('connection-notice')).not.toBeInTheDocument();

    state.retryCount = 0;
    await ue.click(within(rowOf('Production portal')).getByRole('button', { name: 'Retry failed deliveries' }));
    expect(await within(rowOf('Production portal')).findByTestId('connection-notice')).toHaveTextContent(
      'No failed deliveries to retry.',
    );
    expect(state.retried).toEqual(['3', '5']);
  });

  it('deletes only after a confirm that says HubSpot keeps its records and undelivered ones are marked failed', async () => {
    const state = backend([connection(), refused]);
    const ue = userEvent.setup();
    renderApp('/connections');
    await screen.findAllByTestId('connection-row');

    await ue.click(within(rowOf('Production portal')).getByRole('button', { name: 'Delete' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Delete this connection?' });
    expect(dialog).toHaveTextContent('nothing is deleted from HubSpot');
    expect(dialog).toHaveTextContent('Records not delivered yet are marked failed');
    expect(within(dialog).getByRole('button', { name: 'Keep it' })).toHaveFocus();
    await ue.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(state.deleted).toEqual([]);

    await ue.click(within(rowOf('Production portal')).getByRole('button', { name: 'Delete' }));
    dialog = screen.getByRole('alertdialog');
    await ue.click(within(dialog).getByRole('button', { name: 'Delete connection' }));

    await waitFor(() => expect(screen.getAllByTestId('connection-row')).toHaveLength(1));
    expect(state.deleted).toEqual(['5']);
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Deleted “Production portal” from SimCRM. Nothing was removed from HubSpot.');
  });
});
