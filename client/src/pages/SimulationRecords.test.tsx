import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Activity, Company, Contact, Deal, Funnel, RecordEvent, Simulation } from '../api/types';
import { formatDateInZone, formatInZone } from '../lib/planned';
import { company, contact, deal, funnel, job, page, plannedSimulation, recordEvent, simulation, user } from '../test/fixtures';
import { scheduleHandler, simulationResponse } from '../test/handlers';
import { server } from '../test/server';
import { renderApp } from '../test/utils';

beforeEach(() => {
  server.use(http.get('/api/auth/me/', () => HttpResponse.json(user)));
});

afterEach(() => {
  vi.useRealTimers();
});

const ZONE = 'Europe/Berlin';

interface CrmState {
  sim: Simulation;
  contacts: Contact[];
  companies: Company[];
  deals: Deal[];
  events: RecordEvent[];
  funnel: Funnel;
  /** Requests per endpoint, with their query strings. */
  asked: Record<'contacts' | 'companies' | 'deals' | 'events' | 'funnel', string[]>;
}

/** Serves simulation 7 and its CRM from mutable state; lists of more than 2 records come 2 a page. */
function crmBackend(sim: Simulation, data: Partial<Omit<CrmState, 'sim' | 'asked'>> = {}): CrmState {
  const state: CrmState = {
    sim,
    contacts: data.contacts ?? [contact()],
    companies: data.companies ?? [company()],
    deals: data.deals ?? [deal()],
    events: data.events ?? [recordEvent()],
    funnel: data.funnel ?? funnel(),
    asked: { contacts: [], companies: [], deals: [], events: [], funnel: [] },
  };
  const paged = <T,>(kind: 'contacts' | 'companies' | 'deals' | 'events', rows: () => T[]) =>
    http.get(`/api/simulations/7/${kind}/`, ({ request }) => {
      const url = new URL(request.url);
      state.asked[kind].push(url.search);
      const all = rows();
      const size = Number(url.searchParams.get('page_size') ?? 2);
      const pages = Math.max(1, Math.ceil(all.length / size));
      const asked = url.searchParams.get('page');
      const n = asked === 'last' ? pages : Number(asked ?? 1);
      const link = (p: number) => `http://testserver/api/simulations/7/${kind}/?page=${p}`;
      return HttpResponse.json({
        count: all.length,
        next: n < pages ? link(n + 1) : null,
        previous: n > 1 ? link(n - 1) : null,
        results: all.slice((n - 1) * size, n * size),
      });
    });
  server.use(
    http.get('/api/simulations/7/', () => simulationResponse(state.sim)),
    http.get('/api/simulations/7/jobs/', () => HttpResponse.json(page([job({ id: 1, status: 'completed' })]))),
    paged('contacts', () => state.contacts),
    paged('companies', () => state.companies),
    paged('deals', () => state.deals),
    paged('events', () => state.events),
    http.get('/api/simulations/7/funnel/', () => {
      state.asked.funnel.push('');
      return HttpResponse.json(state.funnel);
    }),
  );
  scheduleHandler();
  return state;
}

const completed = { status: 'completed' as const, job_counts: { pending: 0, processing: 0, completed: 300, failed: 0, cancelled: 0 } };

function tabNames(): (string | null)[] {
  return within(screen.getByRole('tablist', { name: 'Records' }))
    .getAllByRole('tab')
    .map((t) => t.textContent);
}

describe('records tabs', () => {
  it('pages the contacts: the next page shows the next ones, with the count of all', async () => {
    const state = crmBackend(plannedSimulation(completed), {
      contacts: [
        contact({ id: 1, firstname: 'Ada', email: 'ada@example.com' }),
        contact({ id: 2, firstname: 'Grace', email: 'grace@example.com' }),
        contact({ id: 3, firstname: 'Edsger', email: 'edsger@example.com' }),
      ],
    });
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    const panel = await screen.findByRole('tabpanel', { name: 'Contacts' });
    const firstPage = await within(panel).findAllByTestId('contact-row');
    expect(firstPage.map((r) => r.querySelector('[data-column="name"]')?.textContent)).toEqual([
      'Ada Lovelaceada@example.com',
      'Grace Lovelacegrace@example.com',
    ]);
    expect(within(panel).getByTestId('contacts-count')).toHaveTextContent('3 contacts, in timeline order (Europe/Berlin)');
    expect(within(panel).getByTestId('pager-count')).toHaveTextContent('3 in all');

    await ue.click(within(panel).getByRole('button', { name: 'Next →' }));
    await waitFor(() => expect(within(panel).getAllByTestId('contact-row')).toHaveLength(1));
    expect(within(panel).getByTestId('contact-row')).toHaveTextContent('edsger@example.com');
    expect(state.asked.contacts).toEqual(['', '?page=2']);
  });

  it('switches tabs: contacts with their lifecycle stage, companies, deals; each fetched when shown', async () => {
    const state = crmBackend(plannedSimulation(completed), {
      contacts: [contact({ id: 500, lifecyclestage: 'marketingqualifiedlead', company_id: 300, occurred_at: '2026-11-02T08:00:00Z' })],
      companies: [company({ id: 300, name: 'Analytical Ltd', domain: 'analytical.example', employees: 1200 })],
      deals: [deal({ id: 900, name: 'Engine order', amount: '12500.00', currency: 'USD', dealstage: 'qualifiedtobuy', closedate: '2026-12-01T12:00:00Z' })],
    });
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    const contactsTab = await screen.findByRole('tab', { name: 'Contacts' });
    expect(tabNames()).toEqual(['Contacts', 'Companies', 'Deals', 'Activities', 'Stage changes', 'Funnel']);
    expect(contactsTab).toHaveAttribute('aria-selected', 'true');
    const contactsPanel = screen.getByRole('tabpanel', { name: 'Contacts' });
    const [row] = await within(contactsPanel).findAllByTestId('contact-row');
    expect(within(row!).getByText('Marketing qualified lead')).toHaveAttribute('data-stage', 'marketingqualifiedlead');
    // Only the tab shown is fetched.
    expect(state.asked.companies).toEqual([]);
    expect(state.asked.deals).toEqual([]);

    await ue.click(screen.getByRole('tab', { name: 'Companies' }));
    expect(screen.getByRole('tab', { name: 'Companies' })).toHaveAttribute('aria-selected', 'true');
    expect(contactsTab).toHaveAttribute('aria-selected', 'false');
    const companiesPanel = screen.getByRole('tabpanel', { name: 'Companies' });
    const [companyRow] = await within(companiesPanel).findAllByTestId('company-row');
    for (const text of ['Analytical Ltd', 'analytical.example', 'London, United Kingdom', '1,200']) {
      expect(within(companyRow!).getByText(text)).toBeInTheDocument();
    }
    expect(screen.queryByTestId('contacts-table')).not.toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/simulations/7?tab=companies');

    await ue.click(screen.getByRole('tab', { name: 'Deals' }));
    const dealsPanel = screen.getByRole('tabpanel', { name: 'Deals' });
    const [dealRow] = await within(dealsPanel).findAllByTestId('deal-row');
    expect(within(dealRow!).getByText('Engine order')).toBeInTheDocument();
    expect(dealRow!.querySelector('[data-column="amount"]')).toHaveTextContent('$12,500.00');
    expect(dealRow!.querySelector('[data-column="dealstage"]')).toHaveTextContent('Qualified to buy');
    expect(dealRow!.querySelector('[data-column="closedate"]')).toHaveTextContent(formatDateInZone('2026-12-01T12:00:00Z', ZONE));
    // The deal's contact, named from the contacts already loaded, with the company under it.
    expect(dealRow!.querySelector('[data-column="contact"]')).toHaveTextContent('Ada LovelaceAnalytical Ltd');
    const headers = within(within(dealsPanel).getByTestId('deals-table')).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['In timeline', 'Name', 'Amount', 'Stage', 'Close date', 'Contact']);
  });

  it('moves between tabs with the arrow keys, Home and End', async () => {
    crmBackend(plannedSimulation(completed));
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    const contactsTab = await screen.findByRole('tab', { name: 'Contacts' });
    expect(contactsTab).toHaveAttribute('tabindex', '0');
    expect(screen.getByRole('tab', { name: 'Funnel' })).toHaveAttribute('tabindex', '-1');

    act(() => contactsTab.focus());
    await ue.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: 'Companies' })).toHaveFocus();
    expect(screen.getByRole('tab', { name: 'Companies' })).toHaveAttribute('aria-selected', 'true');
    await ue.keyboard('{End}');
    expect(screen.getByRole('tab', { name: 'Funnel' })).toHaveFocus();
    expect(await screen.findByTestId('funnel-chart')).toBeInTheDocument();
    await ue.keyboard('{ArrowRight}');
    expect(contactsTab).toHaveFocus();
    await ue.keyboard('{ArrowLeft}');
    expect(screen.getByRole('tab', { name: 'Funnel' })).toHaveAttribute('aria-selected', 'true');
    await ue.keyboard('{Home}');
    expect(contactsTab).toHaveAttribute('aria-selected', 'true');
  });

  it('opens the tab named in the address', async () => {
    crmBackend(plannedSimulation(completed));
    renderApp('/simulations/7?tab=activity');
    expect(await screen.findByRole('tab', { name: 'Stage changes' })).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findByTestId('event-row')).toBeInTheDocument();
  });

  it('has no companies or deals tabs, nor exports, for the original schedule, and says why', async () => {
    crmBackend(simulation(completed));
    renderApp('/simulations/7?tab=deals');
    await screen.findByRole('tab', { name: 'Contacts' });
    expect(tabNames()).toEqual(['Contacts', 'Stage changes', 'Funnel']);
    // A tab it does not have falls back to contacts.
    expect(screen.getByRole('tab', { name: 'Contacts' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByTestId('records-note')).toHaveTextContent('The original schedule makes contacts only: no companies or deals.');
    expect(screen.queryByRole('link', { name: /CSV/ })).not.toBeInTheDocument();
  });

  it('has no companies tab in b2c', async () => {
    crmBackend(plannedSimulation({ ...completed, scenario: 'b2c', contacts_per_company: null }));
    renderApp('/simulations/7');
    await screen.findByRole('tab', { name: 'Contacts' });
    expect(tabNames()).toEqual(['Contacts', 'Deals', 'Activities', 'Stage changes', 'Funnel']);
    expect(screen.getByTestId('records-note')).toHaveTextContent('B2C: contacts buy for themselves, so there are no companies.');
    expect(screen.getByTestId('sim-crm')).toHaveTextContent('B2C · 30% of contacts open a deal · 25% of deals won · 30-day sales cycle');
  });

  it('pages through a list with the pager', async () => {
    const state = crmBackend(plannedSimulation(completed), {
      companies: [1, 2, 3].map((i) => company({ id: i, name: `Company ${i}`, domain: `c${i}.example` })),
    });
    const ue = userEvent.setup();
    renderApp('/simulations/7?tab=companies');
    const panel = await screen.findByRole('tabpanel', { name: 'Companies' });
    expect(await within(panel).findAllByTestId('company-row')).toHaveLength(2);
    expect(within(panel).getByTestId('companies-count')).toHaveTextContent('3 companies');
    const pager = within(panel).getByRole('navigation', { name: 'Pages of companies' });
    await ue.click(within(pager).getByRole('button', { name: 'Next →' }));
    await waitFor(() => expect(within(panel).getAllByTestId('company-row')).toHaveLength(1));
    expect(within(panel).getByText('Company 3')).toBeInTheDocument();
    expect(state.asked.companies.at(-1)).toBe('?page=2');

    // The page is kept when coming back to the tab.
    await ue.click(screen.getByRole('tab', { name: 'Contacts' }));
    await ue.click(screen.getByRole('tab', { name: 'Companies' }));
    expect(await within(screen.getByRole('tabpanel', { name: 'Companies' })).findByText('Company 3')).toBeInTheDocument();
  });
});

describe('export links', () => {
  it('download contacts, companies, deals and the answer key as CSV from the export URL', async () => {
    crmBackend(plannedSimulation(completed));
    renderApp('/simulations/7');
    const group = await screen.findByRole('group', { name: 'Download as CSV' });
    const links = within(group).getAllByRole('link');
    expect(links.map((l) => [l.textContent, l.getAttribute('href')])).toEqual([
      ['Contacts CSV', '/api/simulations/7/export/?object=contacts'],
      ['Companies CSV', '/api/simulations/7/export/?object=companies'],
      ['Deals CSV', '/api/simulations/7/export/?object=deals'],
      ['Emails CSV', '/api/simulations/7/export/?object=emails'],
      ['Calls CSV', '/api/simulations/7/export/?object=calls'],
      ['Meetings CSV', '/api/simulations/7/export/?object=meetings'],
      ['Notes CSV', '/api/simulations/7/export/?object=notes'],
      ['Tasks CSV', '/api/simulations/7/export/?object=tasks'],
      ['Answer key CSV', '/api/simulations/7/export/?object=outcomes'],
    ]);
    for (const link of links) expect(link).toHaveAttribute('download');
  });

  it('leave out companies in b2c, and activities where the timeline has none', async () => {
    crmBackend(plannedSimulation({ ...completed, scenario: 'b2c', contacts_per_company: null, activity_level: 'none' }));
    renderApp('/simulations/7');
    const group = await screen.findByRole('group', { name: 'Download as CSV' });
    expect(within(group).getAllByRole('link').map((l) => l.textContent)).toEqual(['Contacts CSV', 'Deals CSV', 'Answer key CSV']);
  });
});

describe('activity', () => {
  it('shows each stage move on a line, named: contacts from the contacts, deals by name, unknown ones by id', async () => {
    const state = crmBackend(plannedSimulation(completed), {
      contacts: [contact({ id: 500, firstname: 'Ada', lastname: 'Lovelace' })],
      deals: [deal({ id: 900, name: 'Engine order' })],
      events: [
        recordEvent({ id: 1, object_id: 500, old_value: null, new_value: 'lead', occurred_at: '2026-11-02T08:00:00Z' }),
        recordEvent({ id: 2, object_id: 500, old_value: 'lead', new_value: 'marketingqualifiedlead', occurred_at: '2026-11-03T13:05:00Z' }),
      ],
    });
    state.events.push(
      recordEvent({ id: 3, object_type: 'deal', object_id: 900, property: 'dealstage', old_value: 'qualifiedtobuy', new_value: 'closedwon', occurred_at: '2026-11-04T10:00:00Z' }),
      recordEvent({ id: 4, object_id: 777, old_value: 'lead', new_value: 'salesqualifiedlead', occurred_at: '2026-11-05T10:00:00Z' }),
    );
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    await ue.click(await screen.findByRole('tab', { name: 'Stage changes' }));
    const panel = screen.getByRole('tabpanel', { name: 'Stage changes' });
    // Two a page in this backend: the oldest first.
    let rows = await within(panel).findAllByTestId('event-row');
    expect(rows.map((r) => r.textContent)).toEqual([
      `Ada Lovelace · Created as Lead · ${formatInZone('2026-11-02T08:00:00Z', ZONE)}`,
      `Ada Lovelace · Lead → Marketing qualified lead · ${formatInZone('2026-11-03T13:05:00Z', ZONE)}`,
    ]);
    expect(within(panel).getByTestId('activity-count')).toHaveTextContent('4 stage changes, oldest first, times in Europe/Berlin');
    expect(rows[1]!.querySelector('time')).toHaveAttribute('dateTime', '2026-11-03T13:05:00Z');

    // Newest: the last page.
    await ue.click(within(panel).getByRole('button', { name: 'Newest' }));
    await waitFor(() => expect(within(panel).getAllByTestId('event-row')[0]).toHaveAttribute('data-object-type', 'deal'));
    expect(state.asked.events.at(-1)).toBe('?page=last');
    rows = within(panel).getAllByTestId('event-row');
    await waitFor(() => expect(rows[0]).toHaveTextContent(/^Engine order · Qualified to buy → Closed won · /));
    expect(rows[1]).toHaveTextContent(/^Contact #777 · Lead → Sales qualified lead · /);
    // The deals were looked up once, in one big page.
    expect(state.asked.deals).toEqual(['?page_size=500']);
  });

  it('explains an empty activity while the simulation runs', async () => {
    crmBackend(plannedSimulation(), { events: [] });
    renderApp('/simulations/7?tab=activity');
    expect(await screen.findByRole('heading', { name: 'No activity yet' })).toBeInTheDocument();
  });
});

describe('funnel', () => {
  it('shows contacts per lifecycle stage, and deals and amounts per deal stage, in stage order', async () => {
    crmBackend(plannedSimulation(completed), {
      funnel: funnel({
        lifecyclestage: { subscriber: 2, lead: 40, marketingqualifiedlead: 25, salesqualifiedlead: 12, opportunity: 6, customer: 3, other: 2 },
        dealstage: { appointmentscheduled: 2, qualifiedtobuy: 1, contractsent: 1, closedwon: 3, closedlost: 2 },
        pipeline_amount: { appointmentscheduled: '20000.00', qualifiedtobuy: '7500.50', contractsent: '12000.00', closedwon: '45000.00', closedlost: '9000.00' },
      }),
    });
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    await ue.click(await screen.findByRole('tab', { name: 'Funnel' }));
    const chart = await within(screen.getByRole('tabpanel', { name: 'Funnel' })).findByTestId('funnel-chart');

    const lifecycle = within(chart).getByRole('region', { name: 'Contacts by lifecycle stage' });
    const rows = within(lifecycle).getAllByTestId('funnel-stage');
    expect(rows.map((r) => [r.querySelector('th')?.textContent, r.querySelector('td')?.textContent])).toEqual([
      ['Subscriber', '2'],
      ['Lead', '40'],
      ['Marketing qualified lead', '25'],
      ['Sales qualified lead', '12'],
      ['Opportunity', '6'],
      ['Customer', '3'],
      ['Evangelist', '0'],
      ['Other', '2'],
    ]);
    expect(within(lifecycle).getByRole('row', { name: 'Lead 40' })).toHaveAttribute('data-count', '40');

    const deals = within(chart).getByRole('region', { name: 'Deals by stage' });
    expect(within(deals).getAllByTestId('funnel-deal-stage').map((r) => r.textContent)).toEqual([
      'Appointment scheduled2$20,000.00',
      'Qualified to buy1$7,500.50',
      'Presentation scheduled0$0.00',
      'Decision maker bought in0$0.00',
      'Contract sent1$12,000.00',
      'Closed won3$45,000.00',
      'Closed lost2$9,000.00',
    ]);
    expect(within(chart).getByTestId('funnel-summary')).toHaveTextContent(
      '90 contacts · 9 deals · $39,500.50 open pipeline · $45,000.00 won',
    );
  });

  it('says an original-schedule simulation has no deals', async () => {
    crmBackend(simulation(completed), { funnel: funnel({ lifecyclestage: { lead: 5 } }) });
    renderApp('/simulations/7?tab=funnel');
    const chart = await screen.findByTestId('funnel-chart');
    expect(within(chart).getByRole('row', { name: 'Lead 5' })).toBeInTheDocument();
    expect(within(chart).getByTestId('funnel-no-deals')).toHaveTextContent('contacts only, so no deals');
    expect(within(chart).queryAllByTestId('funnel-deal-stage')).toHaveLength(0);
  });

  it('refreshes while the simulation runs, and stops once it is completed', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const state = crmBackend(plannedSimulation(), { funnel: funnel({ lifecyclestage: { lead: 1 } }) });
    renderApp('/simulations/7?tab=funnel');
    const chart = await screen.findByTestId('funnel-chart');
    expect(within(chart).getByRole('row', { name: 'Lead 1' })).toBeInTheDocument();

    state.funnel = funnel({ lifecyclestage: { lead: 4, marketingqualifiedlead: 2 } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3100);
    });
    expect(await within(chart).findByRole('row', { name: 'Lead 4' })).toBeInTheDocument();
    expect(within(chart).getByRole('row', { name: 'Marketing qualified lead 2' })).toBeInTheDocument();

    // It completes: one last refresh, then no more.
    state.sim = plannedSimulation(completed);
    state.funnel = funnel({ lifecyclestage: { lead: 4, marketingqualifiedlead: 3 } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3100);
    });
    expect(await within(chart).findByRole('row', { name: 'Marketing qualified lead 3' })).toBeInTheDocument();
    const asked = state.asked.funnel.length;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(state.asked.funnel).toHaveLength(asked);
  });
});

describe('activities', () => {
  const email: Activity = {
    kind: 'emails',
    id: 1,
    simulation: 7,
    contact: 500,
    company: null,
    deal: null,
    occurred_at: '2026-11-02T09:15:00Z',
    crm_id: null,
    sync_status: null,
    sync_error: '',
    stage: 'lead',
    hs_email_subject: 'Question about the route planner',
    hs_email_text: 'Hi,\n\n<b>Late pickups</b> again.\n\nThanks, Ada',
    hs_email_direction: 'INCOMING_EMAIL',
    hs_email_status: 'SENT',
    hs_email_from_email: 'ada@analytical.example.com',
    hs_email_to_email: 'sam.okafor@sales.example.net',
  };
  const call: Activity = {
    kind: 'calls',
    id: 2,
    simulation: 7,
    contact: 500,
    company: null,
    deal: 900,
    occurred_at: '2026-11-05T14:00:00Z',
    crm_id: null,
    sync_status: null,
    sync_error: '',
    stage: 'marketingqualifiedlead',
    hs_call_title: 'Discovery call with Ada Lovelace',
    hs_call_body: 'Main pain: late pickups.',
    hs_call_direction: 'OUTBOUND',
    hs_call_duration: 1_260_000,
    hs_call_status: 'COMPLETED',
  };

  function activitiesBackend(): string[] {
    const asked: string[] = [];
    server.use(
      http.get('/api/simulations/7/activities/', ({ request }) => {
        const url = new URL(request.url);
        asked.push(url.search);
        const rows = [email, call].filter(
          (a) =>
            (!url.searchParams.get('kind') || a.kind === url.searchParams.get('kind')) &&
            (!url.searchParams.get('contact') || a.contact === Number(url.searchParams.get('contact'))),
        );
        return HttpResponse.json(page(rows));
      }),
      http.get('/api/simulations/7/activities/weeks/', () =>
        HttpResponse.json({
          timezone: ZONE,
          weeks: [{ start: '2026-11-01T23:00:00Z', emails: 1, calls: 1, meetings: 0, notes: 0, tasks: 0 }],
        }),
      ),
    );
    return asked;
  }

  it('shows a contact’s timeline with an icon, time, who, stage and text per activity, and filters by kind', async () => {
    crmBackend(plannedSimulation({ ...completed, timezone: ZONE }), {
      contacts: [contact({ id: 500, firstname: 'Ada', lastname: 'Lovelace' })],
    });
    const asked = activitiesBackend();
    const ue = userEvent.setup();
    renderApp('/simulations/7?tab=activities&contact=500');

    const panel = await screen.findByRole('tabpanel', { name: 'Activities' });
    const rows = await within(panel).findAllByTestId('activity-row');
    expect(rows.map((r) => r.dataset.kind)).toEqual(['emails', 'calls']);
    expect(within(panel).getByTestId('activity-whose')).toHaveTextContent('Ada Lovelace’s timeline');
    const [first] = rows;
    expect(first).toHaveTextContent(`Email · ${formatInZone(email.occurred_at, ZONE)} · Ada Lovelace · Lead`);
    expect(first).toHaveTextContent('Question about the route planner (from ada@analytical.example.com)');
    // A model's text is text: the tags show as written, nothing is rendered as markup.
    expect(first).toHaveTextContent('<b>Late pickups</b> again.');
    expect(first?.querySelector('b')).toBeNull();
    expect(rows[1]).toHaveTextContent('Discovery call with Ada Lovelace (outbound, 21 min)');
    expect(within(panel).getByTestId('activity-weeks')).toHaveTextContent('2 activities in 1 week');
    expect(asked[0]).toBe('?contact=500');

    await ue.selectOptions(within(panel).getByTestId('activity-kind-filter'), 'calls');
    await waitFor(() => expect(within(panel).getAllByTestId('activity-row').map((r) => r.dataset.kind)).toEqual(['calls']));
    expect(asked.at(-1)).toBe('?kind=calls&contact=500');

    await ue.click(within(panel).getByRole('button', { name: 'Show everyone’s' }));
    await waitFor(() => expect(asked.at(-1)).toBe('?kind=calls'));
  });
});
