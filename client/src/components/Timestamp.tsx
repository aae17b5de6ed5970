import type { Simulation } from '../api/types';
import { formatDateInZone, formatInZone, formatWithZone } from '../lib/planned';

/** The zone every time on a simulation's page is shown in: its own (UTC for the original schedule). */
export function simulationZone(sim: Pick<Simulation, 'timezone'>): string {
  return sim.timezone?.trim() || 'UTC';
}

/**
 * An instant in `zone`, as a <time> element whose title names the zone ("1 May 2026, 09:00 CEST");
 * `withZone` shows the zone's short name in the text too; `dateOnly` the day alone. "—" for none.
 */
export function Timestamp({
  value,
  zone,
  withZone = false,
  dateOnly = false,
  className,
  testId,
}: {
  value: string | null | undefined;
  zone: string;
  withZone?: boolean;
  dateOnly?: boolean;
  className?: string;
  testId?: string;
}) {
  if (!value) return <>—</>;
  const text = dateOnly ? formatDateInZone(value, zone) : withZone ? formatWithZone(value, zone) : formatInZone(value, zone);
  return (
    <time dateTime={value} title={`${formatWithZone(value, zone)} (${zone})`} data-zone={zone} className={className} data-testid={testId}>
      {text}
    </time>
  );
}
