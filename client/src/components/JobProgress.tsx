import type { JobCounts } from '../api/types';
import { JOB_STATUSES } from '../api/types';
import { formatCount } from '../lib/planned';

export function jobTotals(counts: JobCounts | null | undefined) {
  const c = counts ?? {};
  const total = JOB_STATUSES.reduce((sum, s) => sum + (Number(c[s]) || 0), 0);
  return {
    total,
    done: Number(c.completed) || 0,
    failed: Number(c.failed) || 0,
    active: (Number(c.pending) || 0) + (Number(c.processing) || 0),
  };
}

/** "2 of 5 jobs done · 2 contacts" with a progress bar. */
export function JobProgress({ counts, contacts }: { counts: JobCounts | null | undefined; contacts: number }) {
  const { total, done, failed } = jobTotals(counts);
  const text = `${done} of ${total} jobs done`;
  return (
    <div className="progress" data-testid="job-progress">
      <progress value={done} max={Math.max(total, 1)} aria-label={text} />
      <span className="progress-text">
        {text} · {contacts} {contacts === 1 ? 'contact' : 'contacts'}
        {failed > 0 && <span className="progress-failed"> · {failed} failed</span>}
      </span>
    </div>
  );
}

/** A planned simulation's progress: "120 / 300 contacts" with a progress bar (and failed jobs, if any). */
export function RecordProgress({
  created,
  total,
  counts,
}: {
  created: number;
  total: number;
  counts: JobCounts | null | undefined;
}) {
  const { failed } = jobTotals(counts);
  const text = `${formatCount(created)} / ${formatCount(total)}`;
  return (
    <div className="progress" data-testid="record-progress">
      <progress value={Math.min(created, total)} max={Math.max(total, 1)} aria-label={`${formatCount(created)} of ${formatCount(total)} contacts created`} />
      <span className="progress-text">
        <span data-testid="record-progress-count">{text}</span> {total === 1 ? 'contact' : 'contacts'}
        {failed > 0 && <span className="progress-failed"> · {failed} failed</span>}
      </span>
    </div>
  );
}
