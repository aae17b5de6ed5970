import type { Activity } from '../api/types';
import { activityBody, activityDetail, activityStage, activityTitle } from '../lib/activities';
import { formatInZone, formatWithZone } from '../lib/planned';
import { activityKind } from '../records/kinds';

/**
 * Activities as a timeline, one card each: the kind's icon and name, when (in `zone`), who, the stage it
 * belongs to, its headline and its text. Every text is a model's or a data file's: React shows it as
 * text, never as markup.
 */
export function ActivityTimeline({
  activities,
  who,
  zone,
}: {
  activities: readonly Activity[];
  who: (activity: Activity) => string;
  zone: string | null;
}) {
  return (
    <ol className="timeline" data-testid="activity-timeline">
      {activities.map((activity) => {
        const kind = activityKind(activity.kind);
        const detail = activityDetail(activity);
        const body = activityBody(activity);
        return (
          <li key={`${activity.kind}-${activity.id}`} className={`timeline-item timeline-${activity.kind}`} data-testid="activity-row" data-kind={activity.kind}>
            <span className="timeline-icon" aria-hidden="true">
              {kind.icon}
            </span>
            <div className="timeline-body">
              <p className="timeline-head">
                <strong>{kind.one}</strong>
                {' · '}
                <time dateTime={activity.occurred_at} title={formatWithZone(activity.occurred_at, zone ?? undefined)}>
                  {formatInZone(activity.occurred_at, zone ?? undefined)}
                </time>
                {' · '}
                <span data-testid="activity-who">{who(activity)}</span>
                {' · '}
                <span className="tag" data-testid="activity-stage">
                  {activityStage(activity)}
                </span>
              </p>
              <p className="timeline-title" data-testid="activity-title">
                {activityTitle(activity)}
                {detail && <span className="muted small"> ({detail})</span>}
              </p>
              {body && <p className="timeline-text muted">{body}</p>}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
