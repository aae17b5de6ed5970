import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { server } from '../test/server';
import { job, page, simulation, user } from '../test/fixtures';
import { renderApp } from '../test/utils';
import { useUiStore } from '../store';

let posted: unknown[] = [];

beforeEach(() => {
  posted = [];
  server.use(
    http.get('/api/auth/me/', () => HttpResponse.json(user)),
    http.get('/api/simulations/', () => HttpResponse.json(page([]))),
  );
});

function createAnswers(status: number, body: JsonBodyType, headers: Record<string, string> = {}) {
  server.use(
    http.post('/api/simulations/', async ({ request }) => {
      posted.push(await request.json());
      return HttpResponse.json(body, { status, headers });
    }),
  );
}

async function fillForm(ue: ReturnType<typeof userEvent.setup>) {
  await ue.type(await screen.findByLabelText('Theme'), 'Black Friday leads');
  await ue.type(screen.getByLabelText('Industry'), 'Retail');
  await ue.selectOptions(screen.getByLabelText('Frequency'), '1wk');
  await ue.type(screen.getByLabelText(/Name/), 'BF test');
}

describe('new simulation form', () => {
  it('previews when the records arrive, following the frequency', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    const preview = await screen.findByTestId('schedule-preview');
    expect(preview).toHaveTextContent('5 contacts over the next 12 minutes');
    expect(preview).toHaveTextContent('then one every 3 minutes');
    expect(within(preview).getAllByRole('listitem')).toHaveLength(5);

    const select = screen.getByLabelText('Frequency');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      '1 hour: 5 contacts over 12 minutes',
      '4 hours: 5 contacts over 48 minutes',
      '1 day: 5 contacts over 4 hours 48 minutes',
      '1 week: 5 contacts over 1 day 9 hours 36 minutes',
      '1 month: 5 contacts over 6 days',
    ]);
    await ue.selectOptions(select, '1 week: 5 contacts over 1 day 9 hours 36 minutes');
    expect(preview).toHaveTextContent('5 contacts over the next 1 day 9 hours 36 minutes');
    expect(preview).toHaveTextContent('in 1 day 9 hours 36 minutes');
    await ue.selectOptions(select, '1mo');
    expect(preview).toHaveTextContent('5 contacts over the next 6 days');
  });

  it('says plainly that a simulation makes 5 contacts and then stops, not one per period', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    const select = await screen.findByLabelText('Frequency');
    // No option reads as "one contact every hour".
    for (const option of within(select).getAllByRole('option')) {
      expect(option.textContent).not.toMatch(/^Every /);
      expect(option.textContent).toMatch(/^\S+ \S+: 5 contacts over /);
    }
    // The hint under the select, and the preview, are the select's description.
    expect(select).toHaveAccessibleDescription(/Not a repeating schedule: a simulation creates 5 contacts/);
    expect(select).toHaveAccessibleDescription(/then it stops\./);
    expect(select).toHaveAccessibleDescription(/5 contacts over the next 12 minutes/);
    const stop = screen.getByTestId('schedule-stop');
    expect(stop).toHaveTextContent('After contact 5 the simulation stops; it does not repeat.');

    await ue.selectOptions(select, '1day');
    expect(select).toHaveAccessibleDescription(/5 contacts over the next 4 hours 48 minutes/);
    expect(within(screen.getByTestId('schedule-preview')).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Contact 1: right away',
      expect.stringContaining('(in 1 hour 12 minutes)'),
      expect.stringContaining('(in 2 hours 24 minutes)'),
      expect.stringContaining('(in 3 hours 36 minutes)'),
      expect.stringContaining('(in 4 hours 48 minutes)'),
    ]);
  });

  it('shows server field errors next to their fields and keeps the draft', async () => {
    createAnswers(400, {
      theme: ['This field may not be blank.'],
      record_frequency: ['"2wk" is not a valid choice.'],
      non_field_errors: ['Something about the whole form.'],
    });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));

    const theme = screen.getByLabelText('Theme');
    await waitFor(() => expect(theme).toHaveAccessibleDescription('This field may not be blank.'));
    expect(theme).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Frequency')).toHaveAccessibleDescription('"2wk" is not a valid choice.');
    expect(screen.getByLabelText('Industry')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).toHaveTextContent('Something about the whole form.');

    // The draft is still there, on screen and in the store.
    expect(theme).toHaveValue('Black Friday leads');
    expect(screen.getByLabelText('Industry')).toHaveValue('Retail');
    expect(screen.getByLabelText('Frequency')).toHaveValue('1wk');
    expect(screen.getByLabelText(/Name/)).toHaveValue('BF test');
    expect(useUiStore.getState().draft.theme).toBe('Black Friday leads');
    expect(posted).toEqual([{ theme: 'Black Friday leads', industry: 'Retail', record_frequency: '1wk', name: 'BF test' }]);
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/new');

    // Editing a field clears its error.
    await ue.type(theme, '!');
    expect(theme).not.toHaveAttribute('aria-invalid');
  });

  it('keeps the draft when navigating away and back', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await ue.type(await screen.findByLabelText('Theme'), 'Half-typed theme');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    await ue.click(within(nav).getByRole('link', { name: 'Simulations' }));
    expect(await screen.findByRole('heading', { name: 'Simulations' })).toBeInTheDocument();
    expect(screen.queryByLabelText('Theme')).not.toBeInTheDocument();
    await ue.click(within(nav).getByRole('link', { name: 'New simulation' }));
    expect(await screen.findByLabelText('Theme')).toHaveValue('Half-typed theme');
  });

  it('explains throttling (429) clearly and keeps the draft', async () => {
    createAnswers(429, { detail: 'Request was throttled. Expected available in 600 seconds.' }, { 'Retry-After': '600' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You have started too many simulations recently. Try again in about 10 minutes. Your draft is kept.',
    );
    expect(screen.getByLabelText('Theme')).toHaveValue('Black Friday leads');
  });

  it('validates required fields before sending', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await ue.type(await screen.findByLabelText('Theme'), '   ');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    expect(screen.getByLabelText('Theme')).toHaveAccessibleDescription('Enter a theme.');
    expect(screen.getByLabelText('Industry')).toHaveAccessibleDescription('Enter an industry.');
    expect(screen.getByLabelText('Theme')).toHaveFocus();
    expect(posted).toHaveLength(0);
  });

  it('creates the simulation, clears the draft and opens it', async () => {
    createAnswers(201, simulation({ id: 42, record_frequency: '1wk', name: 'BF test' }));
    server.use(
      http.get('/api/simulations/42/', () => HttpResponse.json(simulation({ id: 42, name: 'BF test' }))),
      http.get('/api/simulations/42/jobs/', () => HttpResponse.json(page([job({ simulation: 42 })]))),
      http.get('/api/simulations/42/contacts/', () => HttpResponse.json(page([]))),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));

    expect(await screen.findByRole('heading', { name: 'BF test', level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/42');
    expect(useUiStore.getState().draft.theme).toBe('');
  });

  it('leaves out an empty name', async () => {
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await ue.type(await screen.findByLabelText('Theme'), ' Theme ');
    await ue.type(screen.getByLabelText('Industry'), 'Retail');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('stop here');
    expect(posted).toEqual([{ theme: 'Theme', industry: 'Retail', record_frequency: '1h' }]);
  });
});
