import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { server } from '../test/server';
import { connection, job, page, plannedSimulation, preview, simulation, user } from '../test/fixtures';
import { drawnFills } from '../test/canvas';
import { previewHandler, scheduleHandler, simulationText, type PreviewCalls } from '../test/handlers';
import { renderApp } from '../test/utils';
import { formatInZone, localInputToIso } from '../lib/planned';
import { useUiStore } from '../store';

let posted: unknown[] = [];
let postedTexts: string[] = [];
let previews: PreviewCalls;

beforeEach(() => {
  posted = [];
  postedTexts = [];
  server.use(
    http.get('/api/auth/me/', () => HttpResponse.json(user)),
    http.get('/api/simulations/', () => HttpResponse.json(page([]))),
    http.get('/api/connections/', () => HttpResponse.json(page([]))),
  );
  previews = previewHandler();
});

function createAnswers(status: number, body: JsonBodyType, headers: Record<string, string> = {}) {
  server.use(
    http.post('/api/simulations/', async ({ request }) => {
      const text = await request.text();
      postedTexts.push(text);
      posted.push(JSON.parse(text));
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

  it('shows what the original schedule costs, from the server’s preview', async () => {
    previews = previewHandler(() => preview({ forecast: { provider: 'offline', model: null, persona_calls: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 } }));
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    const forecast = await within(await screen.findByTestId('original-forecast', {}, { timeout: 5000 })).findByTestId('forecast');
    expect(forecast).toHaveTextContent('offline (made up locally, no provider)');
    expect(within(forecast).getByTestId('forecast-cost')).toHaveTextContent('$0.00 (USD)');
    expect(previews.bodies.at(-1)).toEqual({ theme: 'Black Friday leads', industry: 'Retail', record_frequency: '1wk', name: 'BF test' });
  });
});

const MAX_SEED = '9223372036854775807';
/** A preview comes PREVIEW_DEBOUNCE_MS after the last keystroke, then the request: wait longer than the default 1 s. */
const PREVIEW_WAIT = { timeout: 5000 };

async function startPlanned(ue: ReturnType<typeof userEvent.setup>) {
  await ue.type(await screen.findByLabelText('Theme'), 'Black Friday leads');
  await ue.type(screen.getByLabelText('Industry'), 'Retail');
  await ue.click(screen.getByRole('radio', { name: /Planned run/ }));
}

function lastPreview(): Record<string, unknown> | undefined {
  return previews.bodies.at(-1);
}

describe('planned run', () => {
  it('offers the two kinds of run, the planned fields replacing the frequency', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    const original = await screen.findByRole('radio', { name: /Original schedule/ });
    expect(original).toBeChecked();
    expect(screen.getByLabelText('Frequency')).toBeInTheDocument();
    expect(screen.queryByLabelText('Number of records')).not.toBeInTheDocument();

    await ue.click(screen.getByRole('radio', { name: /Planned run/ }));
    expect(screen.queryByLabelText('Frequency')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Number of records')).toHaveValue(100);
    expect(screen.getByLabelText('Window start')).toHaveAttribute('type', 'datetime-local');
    expect(screen.getByLabelText('Window end')).toHaveAttribute('type', 'datetime-local');
    expect(screen.getByLabelText('Window start')).toHaveAccessibleDescription(/^Your time \(UTC[+-]\d\d:\d\d\)\. Empty: when you start it\./);
    expect(screen.getByLabelText('Time zone')).toHaveValue(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(screen.getByLabelText(/Seed/)).toHaveAccessibleDescription(/^Leave empty for a random one\./);

    const curve = screen.getByLabelText('Curve');
    expect(within(curve).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Uniform',
      'Front-loaded',
      'Back-loaded',
      'Bell curve',
      'Random bursts',
      'Business hours',
      'Weekend surge',
      'Custom',
    ]);
    expect(curve).toHaveAccessibleDescription('Evenly spread: the same pace from start to end.');
    await ue.selectOptions(curve, 'business_hours');
    expect(curve).toHaveAccessibleDescription(/Only Monday to Friday, 9:00 to 17:00 in the time zone below/);
    // Weights only for the custom curve.
    expect(screen.queryByLabelText('Weights')).not.toBeInTheDocument();
    await ue.selectOptions(curve, 'custom');
    expect(screen.getByLabelText('Weights')).toBeInTheDocument();
  });

  it('waits for a theme and an industry before asking for a preview', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await ue.click(await screen.findByRole('radio', { name: /Planned run/ }));
    expect(screen.getByTestId('preview-waiting')).toHaveTextContent('Enter a theme and an industry to see the schedule and what it costs.');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(previews.bodies).toEqual([]);
  });

  it('previews as the user types, once per pause: the chart, the first instants in the zone, and the bill', async () => {
    previews = previewHandler((body) => preview({ schedule: { total_records: Number(body.total_records) } }));
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    await waitFor(() => expect(lastPreview()).toMatchObject({ total_records: 100 }), PREVIEW_WAIT);

    // Keystrokes closer together than the pause: "2", "25", "250".
    const records = screen.getByLabelText('Number of records');
    for (const value of ['2', '25', '250']) fireEvent.change(records, { target: { value } });
    fireEvent.change(screen.getByLabelText('Window start'), { target: { value: '2026-11-20T09:00' } });
    fireEvent.change(screen.getByLabelText('Window end'), { target: { value: '2026-11-27T09:00' } });
    await ue.selectOptions(screen.getByLabelText('Curve'), 'bell_curve');
    const zone = screen.getByLabelText('Time zone');
    for (const value of ['Asia/Tok', 'Asia/Tokyo']) fireEvent.change(zone, { target: { value } });
    await ue.type(screen.getByLabelText(/Seed/), MAX_SEED);

    const expected = {
      theme: 'Black Friday leads',
      industry: 'Retail',
      total_records: 250,
      starts_at: localInputToIso('2026-11-20T09:00'),
      ends_at: localInputToIso('2026-11-27T09:00'),
      distribution: 'bell_curve',
      timezone: 'Asia/Tokyo',
    };
    await waitFor(() => expect(lastPreview()).toMatchObject({ ...expected, seed: expect.any(Number) }), PREVIEW_WAIT);
    // The seed goes as an exact JSON integer, and never a record_frequency.
    expect(previews.texts.at(-1)).toMatch(new RegExp(`"seed":${MAX_SEED}}$`));
    expect(previews.bodies.some((b) => 'record_frequency' in b && 'total_records' in b)).toBe(false);
    // Debounced: nothing was asked for a half-typed value.
    const totals = previews.bodies.map((b) => b.total_records);
    expect(totals).not.toContain(2);
    expect(totals).not.toContain(25);
    expect(previews.bodies.filter((b) => b.timezone === 'Asia/Tok')).toHaveLength(0);

    const box = screen.getByTestId('planned-preview');
    const chart = await within(box).findByTestId('schedule-chart', {}, PREVIEW_WAIT);
    expect(chart).toHaveAttribute('data-buckets', '6');
    expect(chart).toHaveTextContent('250 records from');
    expect(chart).toHaveTextContent('(Asia/Tokyo)');
    await waitFor(() => expect(chart.querySelector('canvas')).not.toBeNull(), PREVIEW_WAIT);
    expect(drawnFills(chart.querySelector('canvas')!)).toBeGreaterThan(0);
    expect(within(chart).getAllByRole('row')).toHaveLength(7);

    const first = within(box).getByTestId('first-instants');
    expect(within(first).getAllByRole('listitem').map((li) => li.textContent)).toEqual(
      ['2026-11-01T03:15:00Z', '2026-11-01T04:00:30Z', '2026-11-01T05:45:00Z'].map((at) => formatInZone(at, 'Asia/Tokyo', { seconds: true })),
    );
    expect(within(first).getAllByRole('listitem')[0]).toHaveTextContent(/12:15:00/);
    expect(within(box).queryByTestId('preview-random-seed')).not.toBeInTheDocument();

    const forecast = within(box).getByTestId('forecast');
    expect(within(forecast).getByTestId('forecast-provider')).toHaveTextContent('openai (gpt-4o-mini)');
    expect(within(forecast).getByTestId('forecast-calls')).toHaveTextContent('15');
    expect(within(forecast).getByTestId('forecast-tokens')).toHaveTextContent('12,000 prompt + 45,000 completion');
    expect(within(forecast).getByTestId('forecast-cost')).toHaveTextContent('$0.0288 (USD)');
    // No connection picked: nothing goes to HubSpot, so no HubSpot requests.
    expect(within(forecast).queryByTestId('forecast-hubspot')).not.toBeInTheDocument();
  });

  it('says "unknown price" when the model has no price, and that an empty seed is random', async () => {
    previews = previewHandler(() => preview({ forecast: { cost_usd: null, model: 'gpt-9' } }));
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    expect(await screen.findByTestId('forecast-cost', {}, PREVIEW_WAIT)).toHaveTextContent('unknown price');
    expect(screen.getByTestId('preview-random-seed')).toHaveTextContent('No seed: this preview used a random one');
    expect(lastPreview()).not.toHaveProperty('seed');
  });

  it('shows the preview’s 400 field errors next to the fields, and the user types on', async () => {
    previews = previewHandler((body) => {
      const errors: Record<string, string[]> = {};
      if (typeof body.ends_at === 'string' && typeof body.starts_at === 'string' && body.ends_at <= body.starts_at) {
        errors.ends_at = ['Window end must be after window start.'];
      }
      if (body.timezone === 'Mars/Base') {
        errors.timezone = ["Unknown time zone 'Mars/Base': use an IANA name such as Europe/Berlin or America/New_York."];
      }
      return Object.keys(errors).length ? [400, errors] : preview();
    });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    await screen.findByTestId('schedule-chart', {}, PREVIEW_WAIT);

    const start = screen.getByLabelText('Window start');
    const end = screen.getByLabelText('Window end');
    fireEvent.change(start, { target: { value: '2026-11-20T09:00' } });
    fireEvent.change(end, { target: { value: '2026-11-19T09:00' } });
    const zone = screen.getByLabelText('Time zone');
    await ue.clear(zone);
    await ue.type(zone, 'Mars/Base');

    await waitFor(() => expect(end).toHaveAccessibleDescription('Window end must be after window start.'), PREVIEW_WAIT);
    expect(end).toHaveAttribute('aria-invalid', 'true');
    expect(zone).toHaveAccessibleDescription(/^Unknown time zone 'Mars\/Base'/);
    expect(start).not.toHaveAttribute('aria-invalid');
    expect(screen.getByTestId('preview-blocked')).toHaveTextContent('Fix the highlighted fields to update the preview.');
    // The last good chart stays, dimmed.
    expect(screen.getByTestId('schedule-chart')).toHaveClass('is-stale');

    // Nothing is blocked: the user keeps typing, and the errors go once the server is happy.
    expect(zone).toBeEnabled();
    await ue.clear(zone);
    await ue.type(zone, 'Europe/Berlin');
    fireEvent.change(end, { target: { value: '2026-11-27T09:00' } });
    await waitFor(() => expect(end).not.toHaveAttribute('aria-invalid'), PREVIEW_WAIT);
    expect(zone).not.toHaveAttribute('aria-invalid');
    await waitFor(() => expect(screen.getByTestId('schedule-chart')).not.toHaveClass('is-stale'), PREVIEW_WAIT);
    expect(screen.queryByTestId('preview-blocked')).not.toBeInTheDocument();
  });

  it('takes custom weights as a list, checks each is a number, and sends them only for the custom curve', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    await ue.selectOptions(screen.getByLabelText('Curve'), 'custom');
    const weights = screen.getByLabelText('Weights');
    await ue.type(weights, '1, 3, x');
    expect(weights).toHaveAccessibleDescription('“x” is not a number.');
    // The weights go to the server as typed, so it judges the rest of the form beside them; our words stay.
    await waitFor(() => expect(lastPreview()).toMatchObject({ distribution: 'custom', curve_weights: '1, 3, x' }), PREVIEW_WAIT);
    expect(weights).toHaveAccessibleDescription('“x” is not a number.');

    await ue.type(weights, '{Backspace}5, 3 1');
    expect(weights).not.toHaveAttribute('aria-invalid');
    await waitFor(() => expect(lastPreview()).toMatchObject({ distribution: 'custom', curve_weights: [1, 3, 5, 3, 1] }), PREVIEW_WAIT);

    await ue.selectOptions(screen.getByLabelText('Curve'), 'front_loaded');
    await waitFor(() => expect(lastPreview()).toMatchObject({ distribution: 'front_loaded' }), PREVIEW_WAIT);
    expect(lastPreview()).not.toHaveProperty('curve_weights');
  });

  it('creates a planned simulation without record_frequency, the seed exact, and opens it', async () => {
    const created = plannedSimulation({ id: 42, name: 'Planned BF' });
    server.use(
      http.post('/api/simulations/', async ({ request }) => {
        const text = await request.text();
        postedTexts.push(text);
        posted.push(JSON.parse(text));
        return new HttpResponse(simulationText(created), { status: 201, headers: { 'Content-Type': 'application/json' } });
      }),
      http.get('/api/simulations/42/', () => new HttpResponse(simulationText(created), { headers: { 'Content-Type': 'application/json' } })),
      http.get('/api/simulations/42/jobs/', () => HttpResponse.json(page([job({ simulation: 42 })]))),
      http.get('/api/simulations/42/contacts/', () => HttpResponse.json(page([]))),
    );
    scheduleHandler();
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    await ue.selectOptions(screen.getByLabelText('Curve'), 'bell_curve');
    const records = screen.getByLabelText('Number of records');
    await ue.clear(records);
    await ue.type(records, '300');
    await ue.type(screen.getByLabelText(/Seed/), MAX_SEED);
    await ue.type(screen.getByLabelText(/Name/), 'Planned BF');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));

    expect(await screen.findByRole('heading', { name: 'Planned BF', level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/42');
    expect(posted).toEqual([
      {
        theme: 'Black Friday leads',
        industry: 'Retail',
        total_records: 300,
        distribution: 'bell_curve',
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        name: 'Planned BF',
        seed: expect.any(Number),
      },
    ]);
    expect(postedTexts[0]).toMatch(new RegExp(`"seed":${MAX_SEED}}$`));
    expect(useUiStore.getState().draft.kind).toBe('original');
    // The detail page shows the seed exactly as the server sent it.
    expect(await screen.findByTestId('sim-seed', {}, PREVIEW_WAIT)).toHaveTextContent(MAX_SEED);
  });

  it('checks the planned values before sending, and focuses the first one wrong', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    const records = screen.getByLabelText('Number of records');
    await ue.clear(records);
    await ue.type(screen.getByLabelText(/Seed/), '-1');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    expect(records).toHaveAccessibleDescription('Enter a whole number from 1 to 1,000,000.');
    expect(records).toHaveFocus();
    expect(screen.getByLabelText(/Seed/)).toHaveAccessibleDescription(/^A whole number from 0 to 9,223,372,036,854,775,807/);
    expect(posted).toEqual([]);
  });

  it('sends the original schedule without any planned field, even after filling some in', async () => {
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    await ue.type(screen.getByLabelText(/Seed/), '77');
    await ue.click(screen.getByRole('radio', { name: /Original schedule/ }));
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('stop here');
    expect(posted).toEqual([{ theme: 'Black Friday leads', industry: 'Retail', record_frequency: '1h' }]);
  });

  it('shows a create 400 on a planned field next to it', async () => {
    createAnswers(400, { starts_at: ['Window start can be at most 366 days in the past.'] });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    const start = screen.getByLabelText('Window start');
    fireEvent.change(start, { target: { value: '2020-01-01T09:00' } });
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await waitFor(() => expect(start).toHaveAccessibleDescription('Window start can be at most 366 days in the past.'), PREVIEW_WAIT);
    expect(start).toHaveFocus();
  });

  it('shows every error at once on sending: the browser’s and the server’s, in words, and creates nothing', async () => {
    createAnswers(201, plannedSimulation({ id: 42 }));
    previews = previewHandler((body) => {
      const errors: Record<string, string[]> = {};
      if (typeof body.theme !== 'string' || !body.theme.trim()) errors.theme = ['This field may not be blank.'];
      if (typeof body.total_records !== 'number') errors.total_records = ['Must be a whole number.'];
      if (typeof body.starts_at === 'string' && body.starts_at.startsWith('2020')) {
        errors.starts_at = ['Window start can be at most 366 days in the past.'];
      }
      return Object.keys(errors).length ? [400, errors] : preview();
    });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await ue.type(await screen.findByLabelText('Industry'), 'Retail');
    await ue.click(screen.getByRole('radio', { name: /Planned run/ }));
    const records = screen.getByLabelText('Number of records');
    await ue.clear(records);
    await ue.type(records, '0');
    const start = screen.getByLabelText('Window start');
    fireEvent.change(start, { target: { value: '2020-01-01T09:00' } });
    // No theme yet: nothing is previewed, so only sending asks the server.
    expect(previews.bodies).toEqual([]);

    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));

    const theme = screen.getByLabelText('Theme');
    expect(theme).toHaveAccessibleDescription('Enter a theme.');
    expect(records).toHaveAccessibleDescription('Enter a whole number from 1 to 1,000,000.');
    await waitFor(() => expect(start).toHaveAccessibleDescription('Window start can be at most 366 days in the past.'), PREVIEW_WAIT);
    expect(start).toHaveAttribute('aria-invalid', 'true');
    // Our words stay on the fields we judged; the server saw their values as typed.
    expect(theme).toHaveAccessibleDescription('Enter a theme.');
    expect(previews.bodies).toEqual([expect.objectContaining({ theme: '', total_records: '0', starts_at: localInputToIso('2020-01-01T09:00') })]);
    expect(theme).toHaveFocus();
    expect(posted).toEqual([]);
  });

  it('names a field that is not on screen in the form’s words', async () => {
    createAnswers(400, { record_frequency: ['Frequency belongs to the original schedule.'] });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Frequency: Frequency belongs to the original schedule.');
    expect(screen.getByRole('alert')).not.toHaveTextContent('record_frequency');
  });

  it('forecasts the deals the run opens before its window ends, and says the rate needs the time', async () => {
    previews = previewHandler(() => preview({ forecast: { deals: 41, deals_won: 6, deals_lost: 15 } }));
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    expect(await screen.findByTestId('forecast-deals', {}, PREVIEW_WAIT)).toHaveTextContent(
      '41 deals open before the window ends (14% of 300 contacts); 6 won and 15 lost by then, 20 still open.',
    );
    expect(screen.getByLabelText('Deal rate (%)')).toHaveAccessibleDescription(/given the time.*the preview says how many deals open/);
  });
});


describe('CRM settings of a planned run', () => {
  it('shows the defaults, and hides contacts per company for b2c', async () => {
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    const crm = screen.getByRole('group', { name: 'CRM: companies, deals and lifecycle' });
    const scenario = within(crm).getByLabelText('Scenario');
    expect(scenario).toHaveValue('b2b');
    expect(within(scenario).getAllByRole('option').map((o) => o.textContent)).toEqual(['B2B', 'B2C']);
    expect(scenario).toHaveAccessibleDescription(/^Contacts work for companies/);
    expect(within(crm).getByLabelText('Contacts per company')).toHaveValue(3);
    expect(within(crm).getByLabelText('Deal rate (%)')).toHaveValue(30);
    expect(within(crm).getByLabelText('Win rate (%)')).toHaveValue(25);
    expect(within(crm).getByLabelText('Sales cycle (days)')).toHaveValue(30);

    await ue.selectOptions(scenario, 'b2c');
    expect(within(crm).queryByLabelText('Contacts per company')).not.toBeInTheDocument();
    expect(scenario).toHaveAccessibleDescription(/^Contacts buy for themselves: no companies/);
    await ue.selectOptions(scenario, 'b2b');
    expect(within(crm).getByLabelText('Contacts per company')).toHaveValue(3);
  });

  it('checks the CRM values against their ranges before sending, and focuses the first one wrong', async () => {
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    const perCompany = screen.getByLabelText('Contacts per company');
    const dealRate = screen.getByLabelText('Deal rate (%)');
    const winRate = screen.getByLabelText('Win rate (%)');
    const cycle = screen.getByLabelText('Sales cycle (days)');
    await ue.clear(perCompany);
    await ue.type(perCompany, '51');
    await ue.clear(dealRate);
    await ue.type(dealRate, '150');
    await ue.clear(cycle);
    await ue.type(cycle, '400');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));

    expect(perCompany).toHaveAccessibleDescription('Enter a whole number from 1 to 50.');
    expect(perCompany).toHaveFocus();
    expect(dealRate).toHaveAccessibleDescription('Enter a percentage from 0 to 100.');
    expect(dealRate).toHaveAttribute('aria-invalid', 'true');
    expect(winRate).not.toHaveAttribute('aria-invalid');
    expect(cycle).toHaveAccessibleDescription('Enter a whole number of days from 1 to 365.');
    expect(posted).toEqual([]);
    // The server is asked to judge the rest, the wrong values as typed; nothing is created.
    await waitFor(() => expect(lastPreview()).toMatchObject({ contacts_per_company: '51', deal_rate: '150', sales_cycle_days: '400' }));
    expect(posted).toEqual([]);

    // Fixing a value clears its error as the user types.
    await ue.clear(dealRate);
    await ue.type(dealRate, '45');
    expect(dealRate).not.toHaveAttribute('aria-invalid');
  });

  it('sends the changed settings, rates as shares, and never contacts_per_company with b2c', async () => {
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);

    // Untouched: none of them (the server's defaults are the form's).
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await screen.findByRole('alert');
    expect(posted[0]).toEqual({
      theme: 'Black Friday leads',
      industry: 'Retail',
      total_records: 100,
      distribution: 'uniform',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });

    const perCompany = screen.getByLabelText('Contacts per company');
    await ue.clear(perCompany);
    await ue.type(perCompany, '5');
    for (const [label, value] of [
      ['Deal rate (%)', '50'],
      ['Win rate (%)', '12.5'],
      ['Sales cycle (days)', '60'],
    ] as const) {
      const input = screen.getByLabelText(label);
      await ue.clear(input);
      await ue.type(input, value);
    }
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]).toMatchObject({ contacts_per_company: 5, deal_rate: 0.5, win_rate: 0.125, sales_cycle_days: 60 });
    expect(posted[1]).not.toHaveProperty('scenario');

    // b2c: the scenario goes, contacts per company does not (even though it was changed).
    await ue.selectOptions(screen.getByLabelText('Scenario'), 'b2c');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await waitFor(() => expect(posted).toHaveLength(3));
    expect(posted[2]).toMatchObject({ scenario: 'b2c', deal_rate: 0.5, win_rate: 0.125, sales_cycle_days: 60 });
    expect(posted[2]).not.toHaveProperty('contacts_per_company');
    // The preview is asked with the same body.
    await waitFor(() => expect(lastPreview()).toMatchObject({ scenario: 'b2c', deal_rate: 0.5 }), PREVIEW_WAIT);
    expect(previews.bodies.some((b) => b.scenario === 'b2c' && 'contacts_per_company' in b)).toBe(false);
  });

  it('shows the server’s 400 on a CRM field next to it', async () => {
    createAnswers(400, { win_rate: ['Ensure this value is less than or equal to 1.'], sales_cycle_days: ['Too long for this window.'] });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    const cycle = screen.getByLabelText('Sales cycle (days)');
    await ue.clear(cycle);
    await ue.type(cycle, '300');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    const winRate = screen.getByLabelText('Win rate (%)');
    await waitFor(() => expect(winRate).toHaveAccessibleDescription('Ensure this value is less than or equal to 1.'));
    expect(cycle).toHaveAccessibleDescription('Too long for this window.');
    expect(screen.getByTestId('error-win_rate')).toBeInTheDocument();
    // The first field in the form's order gets the focus.
    expect(winRate).toHaveFocus();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('deliver to', () => {
  const standin = connection();
  const production = connection({ id: 5, name: 'Production', base_url: 'https://api.hubapi.com', portal_id: 998877, status: 'invalid' });

  beforeEach(() => {
    server.use(http.get('/api/connections/', () => HttpResponse.json(page([standin, production]))));
  });

  it('lists the connections, delivering nowhere by default, and sends none then', async () => {
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    const select = screen.getByLabelText('Deliver to');
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(3));
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Nowhere (keep records in SimCRM only)',
      'Stand-in (portal 12345)',
      'Production (portal 998877) · Token refused',
    ]);
    expect(select).toHaveValue('');
    expect(select).toHaveAccessibleDescription(/^Records stay in SimCRM/);
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await screen.findByRole('alert');
    expect(posted).toEqual([{ theme: 'Black Friday leads', industry: 'Retail', record_frequency: '1wk', name: 'BF test' }]);
  });

  it('keeps email domains reserved by default, and says what realistic ones risk before sending them', async () => {
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    const select = screen.getByLabelText('Email domains');
    expect(select).toHaveValue('reserved');
    expect(select).toHaveAccessibleDescription(/subdomain of example\.com, example\.org or example\.net/);
    await ue.selectOptions(select, 'realistic');
    expect(select).toHaveAccessibleDescription(/real people receive it and your sending reputation suffers/);
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await screen.findByRole('alert');
    expect(posted).toEqual([
      { theme: 'Black Friday leads', industry: 'Retail', record_frequency: '1wk', name: 'BF test', email_domains: 'realistic' },
    ]);
  });

  it('sends the connection picked with the original schedule, and previews its HubSpot requests and time', async () => {
    createAnswers(400, { detail: 'stop here' });
    previews = previewHandler((body) =>
      preview({ forecast: body.connection ? { hubspot_requests: 7, hubspot_seconds: 95 } : { hubspot_requests: 0, hubspot_seconds: 0 } }),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    const select = screen.getByLabelText('Deliver to');
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(3));

    // Nowhere: the bill has no HubSpot line.
    const original = await screen.findByTestId('original-forecast', {}, PREVIEW_WAIT);
    expect(within(original).queryByTestId('forecast-hubspot')).not.toBeInTheDocument();

    await ue.selectOptions(select, 'Stand-in (portal 12345)');
    expect(select).toHaveValue('3');
    expect(select).toHaveAccessibleDescription(/sent to this HubSpot portal as it is made/);
    await waitFor(() => expect(lastPreview()).toMatchObject({ connection: 3 }), PREVIEW_WAIT);
    const forecast = await screen.findByTestId('forecast-hubspot', {}, PREVIEW_WAIT);
    expect(forecast).toHaveTextContent('7');
    expect(screen.getByTestId('forecast-hubspot-time')).toHaveTextContent('about 1 minute 35 seconds');
    expect(screen.getByTestId('forecast-hubspot-time')).toHaveTextContent('at Stand-in’s limits');

    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await screen.findByRole('alert');
    expect(posted).toEqual([{ theme: 'Black Friday leads', industry: 'Retail', record_frequency: '1wk', name: 'BF test', connection: 3 }]);
  });

  it('sends the connection picked with a planned run, warns when its deliveries are held, and shows the server’s refusal on it', async () => {
    createAnswers(400, { connection: ['Connection 5 is not one of yours (it may have been deleted): pick another, or none.'] });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await startPlanned(ue);
    const select = screen.getByLabelText('Deliver to');
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(3));
    await ue.selectOptions(select, '5');
    expect(select).toHaveAccessibleDescription(/HubSpot refused the token: deliveries are held until you fix it\./);

    await waitFor(() => expect(lastPreview()).toMatchObject({ total_records: 100, connection: 5 }), PREVIEW_WAIT);
    const box = screen.getByTestId('planned-preview');
    expect(await within(box).findByTestId('forecast-hubspot-time', {}, PREVIEW_WAIT)).toHaveTextContent('none');

    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await waitFor(() => expect(select).toHaveAccessibleDescription('Connection 5 is not one of yours (it may have been deleted): pick another, or none.'));
    expect(select).toHaveAttribute('aria-invalid', 'true');
    expect(select).toHaveFocus();
    expect(posted).toEqual([
      {
        theme: 'Black Friday leads',
        industry: 'Retail',
        total_records: 100,
        distribution: 'uniform',
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        connection: 5,
      },
    ]);
  });

  it('forgets a kept connection that no longer exists', async () => {
    useUiStore.getState().setDraft({ connection: '99' });
    createAnswers(400, { detail: 'stop here' });
    const ue = userEvent.setup();
    renderApp('/simulations/new');
    await fillForm(ue);
    await waitFor(() => expect(useUiStore.getState().draft.connection).toBe(''));
    expect(screen.getByLabelText('Deliver to')).toHaveValue('');
    await ue.click(screen.getByRole('button', { name: 'Start simulation' }));
    await screen.findByRole('alert');
    expect(posted[0]).not.toHaveProperty('connection');
  });
});
