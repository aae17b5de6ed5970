import { connectionStatusLabel, syncStatusLabel } from '../lib/hubspot';

const CONNECTION_STATUSES = new Set(['ok', 'invalid', 'rate_limited']);
const SYNC_STATUSES = new Set(['pending', 'synced', 'failed']);

/** A connection's status: "Connected", "Token refused", "Daily limit reached". */
export function ConnectionStatusChip({ status }: { status: string }) {
  const known = CONNECTION_STATUSES.has(status);
  return (
    <span className={`chip chip-connection-${known ? status : 'unknown'}`} data-testid="connection-status" data-status={status}>
      {connectionStatusLabel(status)}
    </span>
  );
}

/** Where a record stands with the CRM: "Pending", "Delivered", "Failed" (the reason as its title). */
export function SyncStatusChip({ status, error }: { status: string; error?: string }) {
  const known = SYNC_STATUSES.has(status);
  const reason = status === 'failed' ? error?.trim() || undefined : undefined;
  return (
    <span className={`chip chip-sync-${known ? status : 'unknown'}`} data-sync-status={status} title={reason}>
      {syncStatusLabel(status)}
      {reason && <span className="visually-hidden">: {reason}</span>}
    </span>
  );
}
