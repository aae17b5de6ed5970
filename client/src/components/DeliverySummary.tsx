import type { UseQueryResult } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { isLive } from '../api/hooks';
import type { Connection, Simulation } from '../api/types';
import { crmLabel, secretName } from '../lib/connectionKinds';
import { connectionStatusExplanation, deliveryCounts, isHeld } from '../lib/hubspot';
import { formatCount } from '../lib/planned';
import { ConnectionStatusChip } from './DeliveryChips';

/**
 * Where a simulation's records go, and how far they got: delivered, pending and failed, with its
 * connection's name and status (a warning while the connection holds deliveries). Shown only for a
 * simulation with a connection; the page refreshes it while anything is pending.
 */
export function DeliverySummary({ sim, connection }: { sim: Simulation; connection: UseQueryResult<Connection> }) {
  const counts = deliveryCounts(sim) ?? { pending: 0, synced: 0, failed: 0 };
  if (sim.connection === null) return null;
  const c = connection.data;
  const gone = connection.isError && connection.error instanceof ApiError && connection.error.status === 404;
  const name = c?.name ?? (gone ? 'a deleted connection' : `connection #${sim.connection}`);

  return (
    <section
      className="card delivery-summary"
      aria-labelledby="delivery-title"
      data-testid="delivery-summary"
      data-pending={counts.pending}
      data-synced={counts.synced}
      data-failed={counts.failed}
    >
      <div className="delivery-head">
        <h2 id="delivery-title">Delivery to {crmLabel(c?.kind ?? 'hubspot')}</h2>
        <p className="delivery-target">
          to{' '}
          <Link to="/connections" data-testid="delivery-connection">
            {name}
          </Link>{' '}
          {c && <ConnectionStatusChip status={c.status} />}
        </p>
      </div>
      <p className="delivery-counts" data-testid="delivery-counts">
        <span className="delivery-count delivery-synced">
          <strong>{formatCount(counts.synced)}</strong> delivered
        </span>
        {' · '}
        <span className="delivery-count delivery-pending">
          <strong>{formatCount(counts.pending)}</strong> pending
        </span>
        {' · '}
        <span className={counts.failed > 0 ? 'delivery-count delivery-failed has-failed' : 'delivery-count delivery-failed'}>
          <strong>{formatCount(counts.failed)}</strong> failed
        </span>
      </p>
      {c && isHeld(c.status) && (
        <p className="alert alert-warning delivery-warning" role="status" data-testid="delivery-warning">
          {connectionStatusExplanation(c.status, c.kind)}{' '}
          <Link to="/connections">{c.status === 'invalid' ? `Fix the ${secretName(c.kind)}` : 'See the connection'}</Link>
        </p>
      )}
      {counts.failed > 0 && (
        <p className="muted small" data-testid="delivery-failed-note">
          The {crmLabel(c?.kind ?? 'hubspot')} column of the records says why each failed; <Link to="/connections">retry them</Link> from the
          connection.
        </p>
      )}
      {counts.pending > 0 && !isLive(sim) && (
        <p className="muted small" data-testid="delivery-after-end">
          {c && isHeld(c.status)
            ? 'The simulation has stopped making records; the ones it made are still to be delivered, once the connection accepts them again.'
            : 'The simulation has stopped making records, but the ones it made are still being delivered.'}{' '}
          This updates by itself.
        </p>
      )}
    </section>
  );
}
