import { describe, expect, it } from 'vitest';
import { isDelivering, isLive, needsRefresh } from '../api/hooks';
import { simulation } from '../test/fixtures';
import { crmLinkLabel, crmRecordUrl, deliveryCounts, formatDuration, maskedToken } from './hubspot';

describe('a Salesforce record', () => {
  it('is at the org’s address and its id, and says Salesforce only for the org itself', () => {
    const org = { kind: 'salesforce', base_url: 'https://acme.my.salesforce.com/', portal_id: null };
    expect(crmRecordUrl(org, 'contacts', '003000000000001AAA')).toBe('https://acme.my.salesforce.com/003000000000001AAA');
    expect(crmLinkLabel(org.base_url, 'salesforce')).toBe('Open in Salesforce');
    expect(crmLinkLabel('http://127.0.0.1:8766', 'salesforce')).toBe('Open at 127.0.0.1:8766');
  });
});

describe('links to delivered records', () => {
  const app = { base_url: 'https://api.hubapi.com', portal_id: 998877 };
  const standin = { base_url: 'http://127.0.0.1:8765', portal_id: 12345 };

  it('open a record’s page in HubSpot’s app for a connection to HubSpot itself', () => {
    expect(crmRecordUrl(app, 'contacts', '101')).toBe('https://app.hubspot.com/contacts/998877/record/0-1/101');
    expect(crmRecordUrl(app, 'companies', '201')).toBe('https://app.hubspot.com/contacts/998877/record/0-2/201');
    expect(crmRecordUrl(app, 'deals', '301')).toBe('https://app.hubspot.com/contacts/998877/record/0-3/301');
    expect(crmRecordUrl({ ...app, base_url: 'https://api.hubapi.com/' }, 'deals', '301')).toBe(
      'https://app.hubspot.com/contacts/998877/record/0-3/301',
    );
    // No portal id known yet: no page to open.
    expect(crmRecordUrl({ ...app, portal_id: null }, 'contacts', '101')).toBeNull();
    expect(crmLinkLabel(app.base_url)).toBe('Open in HubSpot');
  });

  it('open the object in the API of any other address (the stand-in)', () => {
    expect(crmRecordUrl(standin, 'contacts', '101')).toBe('http://127.0.0.1:8765/crm/v3/objects/contacts/101');
    expect(crmRecordUrl({ ...standin, base_url: 'http://127.0.0.1:8765/' }, 'companies', '2 01')).toBe(
      'http://127.0.0.1:8765/crm/v3/objects/companies/2%2001',
    );
    expect(crmRecordUrl({ ...standin, portal_id: null }, 'deals', '301')).toBe('http://127.0.0.1:8765/crm/v3/objects/deals/301');
    expect(crmLinkLabel(standin.base_url)).toBe('Open at 127.0.0.1:8765');
  });
});

describe('delivery helpers', () => {
  it('formats the time a connection’s limit implies', () => {
    expect(formatDuration(0)).toBe('none');
    expect(formatDuration(0.4)).toBe('under a second');
    expect(formatDuration(1)).toBe('1 second');
    expect(formatDuration(42.4)).toBe('42 seconds');
    expect(formatDuration(60)).toBe('about 1 minute');
    expect(formatDuration(95)).toBe('about 1 minute 35 seconds');
    expect(formatDuration(3 * 3600 + 125)).toBe('about 3 hours 2 minutes');
  });

  it('masks the token to its last 4 characters', () => {
    expect(maskedToken('1234')).toBe('••••1234');
  });

  it('reads the delivery counts, null without a connection', () => {
    expect(deliveryCounts(simulation())).toBeNull();
    expect(deliveryCounts(simulation({ connection: 3, delivery: { synced: 2 } }))).toEqual({ pending: 0, synced: 2, failed: 0 });
  });
});

describe('refreshing a simulation', () => {
  const done = { status: 'completed' as const, job_counts: { pending: 0, processing: 0, completed: 5, failed: 0, cancelled: 0 } };

  it('goes on while it runs', () => {
    expect(needsRefresh(simulation())).toBe(true);
    expect(needsRefresh(simulation(done))).toBe(false);
    expect(needsRefresh(undefined)).toBe(false);
  });

  it('goes on after it ends while any delivery is pending, and stops once none is', () => {
    for (const status of ['completed', 'cancelled', 'paused'] as const) {
      const ended = simulation({ ...done, status, connection: 3, delivery: { pending: 2, synced: 3, failed: 0 } });
      expect(isLive(ended)).toBe(false);
      expect(isDelivering(ended)).toBe(true);
      expect(needsRefresh(ended)).toBe(true);
    }
    const delivered = simulation({ ...done, connection: 3, delivery: { pending: 0, synced: 5, failed: 1 } });
    expect(isDelivering(delivered)).toBe(false);
    expect(needsRefresh(delivered)).toBe(false);
  });
});
