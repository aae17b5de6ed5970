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
      return activity.hs_email_subject;
    case 'tasks':
      return activity.hs_task_subject;
    case 'calls':
      return activity.hs_call_title;
    case 'meetings':
      return activity.hs_meeting_title;
    case 'notes':
      return activity.hs_note_body.split('\n')[0] ?? '';
  }
}

/** Its text: an email's body, the others' body (a note's without its first line, already the title). */
export function activityBody(activity: Activity): string {
  switch (activity.kind) {
    case 'emails':
      return activity.hs_email_text;
    case 'calls':
      return activity.hs_call_body;
    case 'meetings':
      return activity.hs_meeting_body;
    case 'notes':
      return activity.hs_note_body.split('\n').slice(1).join('\n').trim();
    case 'tasks':
      return activity.hs_task_body;
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
      return activity.hs_email_direction === 'INCOMING_EMAIL' ? `from ${activity.hs_email_from_email}` : `to ${activity.hs_email_to_email}`;
    case 'calls':
      return `${activity.hs_call_direction === 'INBOUND' ? 'inbound' : 'outbound'}, ${minutes(activity.hs_call_duration)}`;
    case 'meetings':
      return minutes(Date.parse(activity.hs_meeting_end_time) - Date.parse(activity.hs_meeting_start_time));
    case 'tasks':
      return `${activity.hs_task_priority.toLowerCase()} priority, ${activity.hs_task_status === 'COMPLETED' ? 'done' : 'open'}`;
    case 'notes':
      return null;
  }
}
