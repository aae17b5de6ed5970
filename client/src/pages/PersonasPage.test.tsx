import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { server } from '../test/server';
import { page, staff, user } from '../test/fixtures';
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
    unmount();

    renderApp('/personas');
    expect(await screen.findByRole('heading', { name: 'Staff only' })).toBeInTheDocument();
    expect(personaCalls).toBe(0);
  });

  it('lists cached personas for staff, reading unknown shapes defensively, and purges after confirmation', async () => {
    let entries: Record<string, unknown>[] = [
      { id: 1, theme: 'Black Friday', industry: 'Retail', created_at: '2026-11-01T10:00:00Z', hits: 12, misses: 1, persona_count: 5, source: 'openai' },
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
    expect(within(rows[1]!).getByText('3')).toBeInTheDocument(); // persona_data length
    expect(within(rows[1]!).getAllByText('—').length).toBeGreaterThan(0);
    expect(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Persona cache' })).toBeInTheDocument();

    // Dismissing the dialog deletes nothing.
    await ue.click(screen.getByRole('button', { name: 'Purge Black Friday / Retail' }));
    await ue.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Keep it' }));
    expect(deleted).toEqual([]);

    await ue.click(screen.getByRole('button', { name: 'Purge Black Friday / Retail' }));
    await ue.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Purge' }));

    await waitFor(() => expect(screen.getAllByTestId('persona-row')).toHaveLength(1));
    expect(deleted).toEqual(['1']);
    expect(screen.getByRole('status')).toHaveTextContent('Purged the cached personas for Black Friday / Retail.');
  });

  it('lets staff open a pool and see its people', async () => {
    const personas = [
      { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', jobtitle: 'Buyer', company: 'Analytical Ltd', industry: 'Retail', phone: '+44 20 7946 0018', city: 'London', country: 'United Kingdom' },
      { firstname: 'Grace', lastname: 'Hopper', email: 'grace@example.com', jobtitle: 'Store manager', company: 'Cobol & Co', industry: 'Retail', phone: '', city: '', country: 'USA' },
    ];
    const entries = [
      { id: 1, theme: 'Black Friday', industry: 'Retail', created_at: '2026-11-01T10:00:00Z', hits: 3, misses: 1, persona_count: 2, source: 'openai', persona_data: { personas } },
      { id: 2, theme: 'Onboarding', industry: 'SaaS', created_at: '2026-11-01T10:00:00Z', hits: 0, misses: 1, persona_count: 0, source: 'offline', persona_data: { personas: [] } },
    ];
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () => HttpResponse.json(page(entries))),
    );
    const ue = userEvent.setup();
    renderApp('/personas');

    const show = await screen.findByRole('button', { name: 'Show personas of Black Friday / Retail' });
    expect(show).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByTestId('persona-pool')).not.toBeInTheDocument();
    await ue.click(show);

    const pool = screen.getByRole('region', { name: 'Personas for Black Friday / Retail (2)' });
    expect(within(pool).getByRole('heading', { level: 2 })).toHaveFocus();
    const hide = screen.getByRole('button', { name: 'Hide personas of Black Friday / Retail' });
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

    // Another pool replaces it; an empty one says so; Hide closes it.
    await ue.click(screen.getByRole('button', { name: 'Show personas of Onboarding / SaaS' }));
    expect(screen.getByRole('region', { name: 'Personas for Onboarding / SaaS (0)' })).toHaveTextContent(
      'This entry holds no personas that can be shown.',
    );
    expect(screen.getAllByTestId('persona-pool')).toHaveLength(1);
    await ue.click(screen.getByRole('button', { name: 'Hide personas of Onboarding / SaaS' }));
    expect(screen.queryByTestId('persona-pool')).not.toBeInTheDocument();
  });

  it('has a designed empty state', async () => {
    server.use(
      http.get('/api/auth/me/', () => HttpResponse.json(staff)),
      http.get('/api/personas/', () => HttpResponse.json(page([]))),
    );
    renderApp('/personas');
    expect(await screen.findByRole('heading', { name: 'The cache is empty' })).toBeInTheDocument();
  });
});
