import type { RecordEvent } from '../api/types';
import { eventStageLabel } from '../lib/crm';
import { formatInZone, formatWithZone } from '../lib/planned';

/** What the activity calls a record: a contact's or deal's name, null when it is not at hand. */
export type RecordNamer = (event: Pick<RecordEvent, 'object_type' | 'object_id'>) => string | null;

/** "Ada Lovelace", or "Contact #12" / "Deal #3" when the name is not at hand. */
export function eventSubject(event: Pick<RecordEvent, 'object_type' | 'object_id'>, name: RecordNamer): string {
  return name(event) ?? `${event.object_type === 'deal' ? 'Deal' : 'Contact'} #${event.object_id}`;
}

/** "Lead → Marketing qualified lead"; a record's first stage: "Created as Lead". */
export function eventChange(event: Pick<RecordEvent, 'property' | 'old_value' | 'new_value'>): string {
  const to = eventStageLabel(event.property, event.new_value);
  return event.old_value ? `${eventStageLabel(event.property, event.old_value)} → ${to}` : `Created as ${to}`;
}

/**
 * Stage moves as a timeline, one line each: "Ada Lovelace · Lead → Marketing qualified lead ·
 * 3 Mar 2026, 14:05", in the order given (the server's: oldest first). Times in `zone` (the
 * browser's when null), with the zone's name in the title.
 */
export function ActivityList({ events, name, zone }: { events: readonly RecordEvent[]; name: RecordNamer; zone: string | null }) {
  return (
    <ol className="activity" data-testid="activity-list">
      {events.map((event) => (
        <li
          key={event.id}
          className={`activity-item activity-${event.object_type}`}
          data-testid="event-row"
          data-object-type={event.object_type}
          data-object-id={event.object_id}
          data-property={event.property}
        >
          <span className="activity-subject">{eventSubject(event, name)}</span>
          {' · '}
          <span className="activity-change">{eventChange(event)}</span>
          {' · '}
          <time className="activity-time" dateTime={event.occurred_at} title={formatWithZone(event.occurred_at, zone ?? undefined)}>
            {formatInZone(event.occurred_at, zone ?? undefined)}
          </time>
        </li>
      ))}
    </ol>
  );
}
