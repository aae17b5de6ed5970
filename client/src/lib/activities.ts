import type { Activity } from '../api/types';
import { dealStageLabel, lifecycleLabel } from './crm';

const DEAL_STAGES = new Set([
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
]);

/** The stage an activity belongs to, in words: a deal stage's or a lifecycle stage's label. */
export function activityStage(activity: Pick<Activity, 'stage'>): string {
  return DEAL_STAGES.has(activity.stage) ? dealStageLabel(activity.stage) : lifecycleLabel(activity.stage);
}

/** Its headline: an email's or task's subject, a call's or meeting's title, a note's first line. */
export function activityTitle(activity: Activity): string {
  switch (activity.kind) {
    case 'emails':
    case 'tasks':
      return activity.subject;
    case 'calls':
    case 'meetings':
      return activity.title;
    case 'notes':
      return activity.body.split('\n')[0] ?? '';
  }
}

/** Its text: an email's body, the others' body (a note's without its first line, already the title). */
export function activityBody(activity: Activity): string {
  switch (activity.kind) {
    case 'emails':
      return activity.text;
    case 'notes':
      return activity.body.split('\n').slice(1).join('\n').trim();
    default:
      return activity.body;
  }
}

/** "12 min", "1 h 30 min". */
export function minutes(ms: number): string {
  const total = Math.max(1, Math.round(ms / 60_000));
  return total < 60 ? `${total} min` : `${Math.floor(total / 60)} h${total % 60 ? ` ${total % 60} min` : ''}`;
}

/** What else a kind says: an email's direction, a call's length, a task's status. */
export function activityDetail(activity: Activity): string | null {
  switch (activity.kind) {
    case 'emails':
      return activity.direction === 'INCOMING_EMAIL' ? `from ${activity.from_email}` : `to ${activity.to_email}`;
    case 'calls':
      return `${activity.direction === 'INBOUND' ? 'inbound' : 'outbound'}, ${minutes(activity.duration_ms)}`;
    case 'meetings':
      return minutes(Date.parse(activity.end_time) - Date.parse(activity.start_time));
    case 'tasks':
      return activity.status === 'COMPLETED' ? `${activity.priority.toLowerCase()} priority, done` : `${activity.priority.toLowerCase()} priority, open`;
    case 'notes':
      return null;
  }
}
