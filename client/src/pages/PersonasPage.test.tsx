import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { server } from '../test/server';
import { page, staff, systemStatus, user } from '../test/fixtures';
import { renderApp } from '../test/utils';

describe('persona cache', () => {
  it('is hidden from non-staff users', async () => {
    let personaCalls = 0;
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(user)),
      http.get('/api/simulations/', () => HttpResponse.json(page([]))),
      http.get('/api/personas/', () => {
        personaCalls += 1;
        return HttpResponse.json({ detail: 'You do not have permission to perform this action.' }, { status: 403 });
      }),
    );
    const { unmount } = renderApp('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Simulations' })).toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Persona cache' })).not.toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
    unmount();

    renderApp('/personas');
    expect(await screen.findByRole('heading', { name: 'Staff only' })).toBeInTheDocument();
    expect(personaCalls).toBe(0);
  });

  it('lists cached personas for staff, reading unknown shapes defensively, and purges after confirmation', async () => {
    let entries: Record<string, unknown>[] = [
      { id: 1, theme: 'Black Friday', industry: 'Retail', kind: 'contact', created_at: '2026-11-01T10:00:00Z', hits: 12, misses: 1, persona_count: 5, source: 'openai' },
      { id: 2, theme: 'Onboarding', created_at: 'not a date', persona_data: [{}, {}, {}], extra: { nested: true } },
    ];
    const deleted: string[] = [];
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () => HttpResponse.json(page(entries))),
      http.delete('/api/personas/:id/', ({ params }) => {
        deleted.push(String(params.id));
        entries = entries.filter((e) => String(e.id) !== params.id);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const ue = userEvent.setup();
    renderApp('/personas');

    const rows = await screen.findAllByTestId('persona-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('12')).toBeInTheDocument();
    expect(within(rows[0]!).getByText('openai')).toBeInTheDocument();
    expect(within(rows[0]!).getByTestId('persona-entries')).toHaveTextContent('5 contacts');
    expect(within(rows[1]!).getByTestId('persona-entries')).toHaveTextContent('3 contacts'); // persona_data length
    expect(within(rows[1]!).getAllByText('—').length).toBeGreaterThan(0);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Persona cache' })).toBeInTheDocument();
    // Staff get a link to Django's admin (a full page load, not a client route).
    expect(within(nav).getByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin/');

    // Dismissing the dialog deletes nothing.
    await ue.click(screen.getByRole('button', { name: 'Purge Black Friday / Retail' }));
    await ue.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Keep it' }));
    expect(deleted).toEqual([]);

    await ue.click(screen.getByRole('button', { name: 'Purge Black Friday / Retail' }));
    await ue.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Purge' }));

    await waitFor(() => expect(screen.getAllByTestId('persona-row')).toHaveLength(1));
    expect(deleted).toEqual(['1']);
    expect(screen.getByRole('status')).toHaveTextContent('Purged the cached contacts for Black Friday / Retail.');
  });

  it('lets staff open a pool and see its people, or its companies for a company pool', async () => {
    const personas = [
      { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', jobtitle: 'Buyer', company: 'Analytical Ltd', industry: 'Retail', phone: '+44 20 7946 0018', city: 'London', country: 'United Kingdom' },
      { firstname: 'Grace', lastname: 'Hopper', email: 'grace@example.com', jobtitle: 'Store manager', company: 'Cobol & Co', industry: 'Retail', phone: '', city: '', country: 'USA' },
    ];
    const entries = [
      { id: 1, theme: 'Black Friday', industry: 'Retail', kind: 'contact', created_at: '2026-11-01T10:00:00Z', hits: 3, misses: 1, persona_count: 2, source: 'openai', persona_data: { personas, companies: [] } },
      { id: 2, theme: 'Onboarding', industry: 'SaaS', kind: 'contact', created_at: '2026-11-01T10:00:00Z', hits: 0, misses: 1, persona_count: 0, source: 'offline', persona_data: { personas: [] } },
      { id: 3, theme: 'Black Friday', industry: 'Retail', kind: 'company', created_at: '2026-11-01T10:00:00Z', hits: 7, misses: 1, persona_count: 1, source: 'openai', persona_data: { personas: [], companies: [{ name: 'Analytical Ltd', domain: 'analytical.example.com', industry: 'Retail', city: 'London', country: 'United Kingdom', employees: 1200 }] } },
    ];
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () => HttpResponse.json(page(entries))),
    );
    const ue = userEvent.setup();
    renderApp('/personas');

    const show = await screen.findByRole('button', { name: 'Show contacts of Black Friday / Retail' });
    expect(show).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByTestId('persona-pool')).not.toBeInTheDocument();
    await ue.click(show);

    const pool = screen.getByRole('region', { name: 'Contacts for Black Friday / Retail (2)' });
    expect(within(pool).getByRole('heading', { level: 2 })).toHaveFocus();
    const hide = screen.getByRole('button', { name: 'Hide contacts of Black Friday / Retail' });
    expect(hide).toHaveAttribute('aria-expanded', 'true');
    expect(hide).toHaveAttribute('aria-controls', pool.id);
    expect(within(pool).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Name',
      'Job title',
      'Company',
      'Email',
      'City',
      'Country',
      'Phone',
    ]);
    const rows = within(pool).getAllByTestId('pool-persona-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'Ada Lovelace',
      'Buyer',
      'Analytical Ltd',
      'ada@example.com',
      'London',
      'United Kingdom',
      '+44 20 7946 0018',
    ]);
    expect(within(rows[1]!).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'Grace Hopper',
      'Store manager',
      'Cobol & Co',
      'grace@example.com',
      '—',
      'USA',
      '—',
    ]);

    // The company pool of the same key is labelled and shown as companies.
    const companyRow = screen.getAllByTestId('persona-row')[2]!;
    expect(within(companyRow).getByTestId('persona-entries')).toHaveTextContent('1 company');
    await ue.click(screen.getByRole('button', { name: 'Show companies of Black Friday / Retail' }));
    const companies = screen.getByRole('region', { name: 'Companies for Black Friday / Retail (1)' });
    expect(within(companies).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Name',
      'Domain',
      'Industry',
      'City',
      'Country',
      'Employees',
    ]);
    expect(within(within(companies).getByTestId('pool-persona-row')).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'Analytical Ltd',
      'analytical.example.com',
      'Retail',
      'London',
      'United Kingdom',
      '1,200',
    ]);

    // Another pool replaces it; an empty one says so; Hide closes it.
    await ue.click(screen.getByRole('button', { name: 'Show contacts of Onboarding / SaaS' }));
    expect(screen.getByRole('region', { name: 'Contacts for Onboarding / SaaS (0)' })).toHaveTextContent(
      'This pool holds no contacts that can be shown.',
    );
    expect(screen.getAllByTestId('persona-pool')).toHaveLength(1);
    await ue.click(screen.getByRole('button', { name: 'Hide contacts of Onboarding / SaaS' }));
    expect(screen.queryByTestId('persona-pool')).not.toBeInTheDocument();
  });

  it('has a designed empty state', async () => {
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () => HttpResponse.json(page([]))),
    );
    renderApp('/personas');
    expect(await screen.findByRole('heading', { name: 'The cache is empty' })).toBeInTheDocument();
    expect(screen.getByText(/once the first job of a theme and industry has asked OpenAI/)).toBeInTheDocument();
    expect(screen.queryByTestId('personas-offline-note')).not.toBeInTheDocument();
  });

  it('says plainly, with the offline provider, that planned runs are not cached', async () => {
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () => HttpResponse.json(page([]))),
      http.get('/api/status/', () =>
        HttpResponse.json(systemStatus({ persona_provider: { provider: 'offline', model: null, detail: 'Offline personas: no network needed.' } })),
      ),
    );
    renderApp('/personas');
    const note = await screen.findByTestId('personas-offline-note');
    expect(note).toHaveTextContent('offline provider');
    expect(note).toHaveTextContent('they are not cached');
    expect(screen.queryByText(/once the first job/)).not.toBeInTheDocument();
  });
});
