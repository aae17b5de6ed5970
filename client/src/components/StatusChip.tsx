const LABELS: Record<string, string> = {
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  cancelled: 'Cancelled',
  pending: 'Pending',
  processing: 'Processing',
  failed: 'Failed',
};

export function StatusChip({ status }: { status: string }) {
  const known = status in LABELS;
  return (
    <span className={`chip chip-${known ? status : 'unknown'}`} data-testid="status-chip" data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}
