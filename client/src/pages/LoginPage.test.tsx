import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { server } from '../test/server';
import { page, user } from '../test/fixtures';
import { renderApp } from '../test/utils';

/** A tiny session backend: me is 403 until login succeeds. */
function sessionBackend(signInHint: string | null = null) {
  const state = { signedIn: false, calls: [] as string[], loginHeaders: null as Headers | null, loginBody: null as unknown };
  server.use(
    http.get('/api/auth/csrf/', () => {
      state.calls.push('csrf');
      return HttpResponse.json({ csrfToken: 'tok-123', sign_in_hint: signInHint });
    }),
    http.get('/api/auth/me/', () => {
      state.calls.push('me');
      return state.signedIn
        ? HttpResponse.json(user)
        : HttpResponse.json({ detail: 'Authentication credentials were not provided.' }, { status: 403 });
    }),
    http.post('/api/auth/login/', async ({ request }) => {
      state.calls.push('login');
      state.loginHeaders = request.headers;
      const body = (await request.json()) as { username: string; password: string };
      state.loginBody = body;
      if (body.password !== 'secret') {
        return HttpResponse.json({ non_field_errors: ['Unable to log in with provided credentials.'] }, { status: 400 });
      }
      state.signedIn = true;
      return HttpResponse.json(user);
    }),
    http.post('/api/auth/logout/', () => {
      state.calls.push('logout');
      state.signedIn = false;
      return new HttpResponse(null, { status: 204 });
    }),
    http.get('/api/simulations/', () => {
      if (!state.signedIn) return HttpResponse.json({ detail: 'Authentication credentials were not provided.' }, { status: 403 });
      return HttpResponse.json(page([]));
    }),
    http.get('/api/connections/', () => HttpResponse.json(page([]))),
  );
  return state;
}

describe('sign in', () => {
  it('sends a signed-out user to /login, signs in with CSRF and returns to the page asked for', async () => {
    const backend = sessionBackend();
    const ue = userEvent.setup();
    renderApp('/simulations/new');

    expect(await screen.findByRole('heading', { name: 'Sign in to SimCRM' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/login?next=%2Fsimulations%2Fnew');

    await ue.type(screen.getByLabelText('Username'), 'alice');
    await ue.type(screen.getByLabelText('Password'), 'secret');
    await ue.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'New simulation' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/new');
    expect(screen.getByTestId('current-user')).toHaveTextContent('alice');

    // The CSRF endpoint is asked before the login POST, and its token is sent as the header.
    expect(backend.calls.indexOf('csrf')).toBeLessThan(backend.calls.indexOf('login'));
    expect(backend.loginHeaders?.get('X-CSRFToken')).toBe('tok-123');
    expect(backend.loginBody).toEqual({ username: 'alice', password: 'secret' });
  });

  it('shows the server message for bad credentials and stays on the form', async () => {
    sessionBackend();
    const ue = userEvent.setup();
    renderApp('/login');

    await ue.type(await screen.findByLabelText('Username'), 'alice');
    await ue.type(screen.getByLabelText('Password'), 'wrong');
    await ue.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Unable to log in with provided credentials.');
    expect(screen.getByTestId('location')).toHaveTextContent('/login');
    expect(screen.getByLabelText('Username')).toHaveValue('alice');
  });

  it('shows the server sign-in hint under the form when there is one (a DEBUG server)', async () => {
    const hint = 'First time here? ./run printed the staff user and password when it started.';
    sessionBackend(hint);
    renderApp('/login');
    const shown = await screen.findByTestId('sign-in-hint');
    expect(shown).toHaveTextContent(hint);
    expect(shown).toHaveClass('muted');
    // Under the form's controls, after the Sign in button.
    const button = screen.getByRole('button', { name: 'Sign in' });
    expect(button.compareDocumentPosition(shown) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('shows no hint when the server sends none', async () => {
    const backend = sessionBackend(null);
    renderApp('/login');
    expect(await screen.findByRole('heading', { name: 'Sign in to SimCRM' })).toBeInTheDocument();
    await waitFor(() => expect(backend.calls).toContain('csrf'));
    expect(screen.queryByTestId('sign-in-hint')).not.toBeInTheDocument();
  });

  it('asks for both fields before calling the server', async () => {
    const backend = sessionBackend();
    const ue = userEvent.setup();
    renderApp('/login');
    await ue.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Enter your username and password.');
    expect(backend.calls).not.toContain('login');
  });

  it('signs out and goes back to the sign-in screen', async () => {
    const backend = sessionBackend();
    backend.signedIn = true;
    const ue = userEvent.setup();
    renderApp('/');

    expect(await screen.findByRole('heading', { name: 'No simulations yet' })).toBeInTheDocument();
    await ue.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to SimCRM' })).toBeInTheDocument();
    await waitFor(() => expect(backend.calls).toContain('logout'));
    expect(screen.queryByTestId('current-user')).not.toBeInTheDocument();
  });

  it('returns to the sign-in screen when the session expires', async () => {
    const backend = sessionBackend();
    backend.signedIn = true;
    renderApp('/');
    expect(await screen.findByRole('heading', { name: 'No simulations yet' })).toBeInTheDocument();

    // The session ends on the server; the next API call answers 403 and me follows.
    backend.signedIn = false;
    server.use(http.get('/api/simulations/', () => HttpResponse.json({ detail: 'Authentication credentials were not provided.' }, { status: 403 })));
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Sign in to SimCRM' })).toBeInTheDocument(), { timeout: 6000 });
  });
});
