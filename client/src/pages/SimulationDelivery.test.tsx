import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Company, Connection, Contact, Deal, Simulation } from '../api/types';
import { company, connection, contact, deal, funnel, job, page, plannedSimulation, recordEvent, simulation, user } from '../test/fixtures';
import { scheduleHandler, simulationResponse } from '../test/handlers';
import { server } from '../test/server';
import { renderApp } from '../test/utils';

beforeEach(() => {
  server.use(http.get('/api/auth/me/', () => HttpResponse.json(user)));
});

afterEach(() => {
  vi.useRealTimers();
});

interface DeliveryState {
  sim: Simulation;
  connection: Connection;
  contacts: Contact[];
  companies: Company[];
  deals: Deal[];
  calls: { sim: number; contacts: number; connection: number; companies: number };
}

/** Serves simulation 7, its records and its connection (3) from mutable state, counting requests. */
function deliveryBackend(sim: Simulation, data: Partial<Omit<DeliveryState, 'sim' | 'calls'>> = {}): DeliveryState {
  const state: DeliveryState = {
    sim,
    connection: data.connection ?? connection(),
    contacts: data.contacts ?? [contact()],
    companies: data.companies ?? [company()],
    deals: data.deals ?? [deal()],
    calls: { sim: 0, contacts: 0, connection: 0, companies: 0 },
  };
  server.use(
    http.get('/api/simulations/7/', () => {
      state.calls.sim += 1;
      return simulationResponse(state.sim);
    }),
    http.get('/api/simulations/7/jobs/', () => HttpResponse.json(page([job({ id: 1, status: 'completed' })]))),
    http.get('/api/simulations/7/contacts/', () => {
      state.calls.contacts += 1;
      return HttpResponse.json(page(state.contacts));
    }),
    http.get('/api/simulations/7/companies/', () => {
      state.calls.companies += 1;
      return HttpResponse.json(page(state.companies));
    }),
    http.get('/api/simulations/7/deals/', () => HttpResponse.json(page(state.deals))),
    http.get('/api/simulations/7/events/', () => HttpResponse.json(page([recordEvent()]))),
    http.get('/api/simulations/7/funnel/', () => HttpResponse.json(funnel())),
    http.get('/api/connections/3/', () => {
      state.calls.connection += 1;
      return HttpResponse.json(state.connection);
    }),
  );
  scheduleHandler();
  return state;
}

const completed = {
  status: 'completed' as const,
  job_counts: { pending: 0, processing: 0, completed: 300, failed: 0, cancelled: 0 },
  contacts_created: 300,
};
const hubspot = connection({ name: 'Production', base_url: 'https://api.hubapi.com', portal_id: 998877 });

function hubspotCell(row: HTMLElement): HTMLElement {
  const cell = row.querySelector<HTMLElement>('[data-column="hubspot"]');
  if (!cell) throw new Error('No HubSpot cell in this row');
  return cell;
}

describe('delivery to HubSpot', () => {
  it('sums up what was delivered, pending and failed, with the connection’s name, status and a warning while it holds deliveries', async () => {
    deliveryBackend(
      plannedSimulation({ ...completed, connection: 3, delivery: { pending: 4, synced: 1200, failed: 2 } }),
      { connection: connection({ status: 'invalid' }) },
    );
    renderApp('/simulations/7');

    const summary = await screen.findByTestId('delivery-summary');
    expect(within(summary).getByTestId('delivery-counts')).toHaveTextContent('1,200 delivered · 4 pending · 2 failed');
    expect(summary).toHaveAttribute('data-pending', '4');
    expect(summary).toHaveAttribute('data-synced', '1200');
    expect(summary).toHaveAttribute('data-failed', '2');
    const link = await within(summary).findByRole('link', { name: 'Stand-in' });
    expect(link).toHaveAttribute('href', '/connections');
    expect(within(summary).getByTestId('connection-status')).toHaveTextContent('Token refused');
    expect(within(summary).getByTestId('delivery-warning')).toHaveTextContent(
      'HubSpot refused the token: deliveries are held until you fix it.',
    );
    expect(within(summary).getByRole('link', { name: 'Fix the token' })).toHaveAttribute('href', '/connections');
    expect(within(summary).getByTestId('delivery-failed-note')).toBeInTheDocument();
    // It has ended, but its records are still on their way.
    expect(within(summary).getByTestId('delivery-after-end')).toHaveTextContent('once the connection accepts them again');
  });

  it('warns when the daily limit is reached, and says nothing more when all went through', async () => {
    deliveryBackend(plannedSimulation({ ...completed, connection: 3, delivery: { pending: 0, synced: 5, failed: 0 } }), {
      connection: connection({ status: 'rate_limited' }),
    });
    renderApp('/simulations/7');
    const summary = await screen.findByTestId('delivery-summary');
    expect(await within(summary).findByTestId('delivery-warning')).toHaveTextContent(
      "HubSpot's daily limit is reached: deliveries resume when HubSpot accepts again.",
    );
    expect(summary).toHaveTextContent('5 delivered · 0 pending · 0 failed');
    expect(within(summary).queryByTestId('delivery-failed-note')).not.toBeInTheDocument();
    expect(within(summary).queryByTestId('delivery-after-end')).not.toBeInTheDocument();
  });

  it('shows each record’s delivery in a HubSpot column, linking delivered ones to the stand-in’s API', async () => {
    deliveryBackend(plannedSimulation({ ...completed, connection: 3, delivery: { pending: 1, synced: 3, failed: 1 } }), {
      contacts: [
        contact({ id: 1, crm_id: '101', sync_status: 'synced' }),
        contact({ id: 2, firstname: 'Grace', sync_status: 'failed', sync_error: 'HubSpot answered 400: the email is invalid.' }),
        contact({ id: 3, firstname: 'Alan', sync_status: 'pending' }),
      ],
      companies: [company({ crm_id: '201', sync_status: 'synced' })],
      deals: [deal({ crm_id: '301', sync_status: 'synced' })],
    });
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    const table = await screen.findByTestId('contacts-table');
    expect(within(table).getAllByRole('columnheader').at(-1)).toHaveTextContent('HubSpot');
    const rows = within(table).getAllByTestId('contact-row');
    const synced = hubspotCell(rows[0]!);
    expect(within(synced).getByText('Delivered')).toHaveAttribute('data-sync-status', 'synced');
    expect(await within(synced).findByRole('link', { name: 'Open at 127.0.0.1:8765' })).toHaveAttribute(
      'href',
      'http://127.0.0.1:8765/crm/v3/objects/contacts/101',
    );
    const failed = hubspotCell(rows[1]!).querySelector('[data-sync-status]');
    expect(failed).toHaveTextContent(/^Failed/);
    expect(failed).toHaveAttribute('title', 'HubSpot answered 400: the email is invalid.');
    expect(within(hubspotCell(rows[1]!)).queryByRole('link')).not.toBeInTheDocument();
    expect(hubspotCell(rows[2]!)).toHaveTextContent('Pending');
    expect(hubspotCell(rows[2]!).querySelector('[data-sync-status]')).not.toHaveAttribute('title');

    await ue.click(screen.getByRole('tab', { name: 'Companies' }));
    const [companyRow] = await screen.findAllByTestId('company-row');
    expect(within(hubspotCell(companyRow!)).getByRole('link')).toHaveAttribute('href', 'http://127.0.0.1:8765/crm/v3/objects/companies/201');

    await ue.click(screen.getByRole('tab', { name: 'Deals' }));
    const [dealRow] = await screen.findAllByTestId('deal-row');
    expect(within(hubspotCell(dealRow!)).getByRole('link')).toHaveAttribute('href', 'http://127.0.0.1:8765/crm/v3/objects/deals/301');
  });

  it('links delivered records to their pages in HubSpot’s app for a connection to HubSpot itself', async () => {
    deliveryBackend(plannedSimulation({ ...completed, connection: 3, delivery: { pending: 0, synced: 3, failed: 0 } }), {
      connection: hubspot,
      contacts: [contact({ crm_id: '101', sync_status: 'synced' })],
      companies: [company({ crm_id: '201', sync_status: 'synced' })],
      deals: [deal({ crm_id: '301', sync_status: 'synced' })],
    });
    const ue = userEvent.setup();
    renderApp('/simulations/7');

    const [row] = await screen.findAllByTestId('contact-row');
    expect(await within(hubspotCell(row!)).findByRole('link', { name: 'Open in HubSpot' })).toHaveAttribute(
      'href',
      'https://app.hubspot.com/contacts/998877/record/0-1/101',
    );
    await ue.click(screen.getByRole('tab', { name: 'Companies' }));
    const [companyRow] = await screen.findAllByTestId('company-row');
    expect(within(hubspotCell(companyRow!)).getByRole('link')).toHaveAttribute('href', 'https://app.hubspot.com/contacts/998877/record/0-2/201');
    await ue.click(screen.getByRole('tab', { name: 'Deals' }));
    const [dealRow] = await screen.findAllByTestId('deal-row');
    const link = within(hubspotCell(dealRow!)).getByRole('link');
    expect(link).toHaveAttribute('href', 'https://app.hubspot.com/contacts/998877/record/0-3/301');
    expect(link).toHaveAttribute('target', '_blank');
  });

  it('has no summary and no HubSpot column without a connection', async () => {
    const state = deliveryBackend(plannedSimulation({ ...completed, connection: null, delivery: null }));
    const ue = userEvent.setup();
    renderApp('/simulations/7');
    await screen.findAllByTestId('contact-row');
    expect(screen.queryByTestId('delivery-summary')).not.toBeInTheDocument();
    expect(screen.queryByRole('columnheader', { name: 'HubSpot' })).not.toBeInTheDocument();
    await ue.click(screen.getByRole('tab', { name: 'Deals' }));
    await screen.findAllByTestId('deal-row');
    expect(screen.queryByRole('columnheader', { name: 'HubSpot' })).not.toBeInTheDocument();
    expect(state.calls.connection).toBe(0);
  });

  it('keeps refreshing a finished simulation while deliveries are pending, and stops once they are done', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const state = deliveryBackend(simulation({ ...completed, connection: 3, delivery: { pending: 2, synced: 3, failed: 0 } }), {
      contacts: [contact({ id: 1, sync_status: 'pending' })],
    });
    renderApp('/simulations/7');
    const summary = await screen.findByTestId('delivery-summary');
    expect(summary).toHaveTextContent('3 delivered · 2 pending · 0 failed');
    expect(await within(summary).findByTestId('delivery-after-end')).toHaveTextContent('still being delivered');
    const [row] = await screen.findAllByTestId('contact-row');
    expect(hubspotCell(row!)).toHaveTextContent('Pending');

    // Completed, yet still asked: the simulation (its counts), its records and its connection.
    const before = { ...state.calls };
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3100);
    });
    expect(state.calls.sim).toBeGreaterThan(before.sim);
    expect(state.calls.contacts).toBeGreaterThan(before.contacts);
    expect(state.calls.connection).toBeGreaterThan(before.connection);

    // The last ones go through: shown, then no more requests.
    state.sim = { ...state.sim, delivery: { pending: 0, synced: 5, failed: 0 } };
    state.contacts = [contact({ id: 1, crm_id: '101', sync_status: 'synced' })];
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3100);
    });
    await waitFor(() => expect(screen.getByTestId('delivery-summary')).toHaveTextContent('5 delivered · 0 pending · 0 failed'));
    await waitFor(() => expect(hubspotCell(screen.getByTestId('contact-row'))).toHaveTextContent('Delivered'));
    const settled = { ...state.calls };
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    expect(state.calls).toEqual(settled);
  });
});
