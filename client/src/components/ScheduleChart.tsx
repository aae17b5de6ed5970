import { Component, Suspense, lazy, useMemo, type ReactNode } from 'react';
import type { PreviewBucket } from '../api/types';
import { formatCount } from '../lib/planned';
import { bucketLabel, chartSeries, type BucketUnit } from '../lib/schedule';

const ScheduleCanvas = lazy(() => import('./ScheduleCanvas'));

const HEIGHT = 200;
const COLORS = { created: '#2452d6', planned: '#b9c9f4', now: '#1c2230' };

/** How far a simulation has got: `created` of its records exist; `finished`: no more will come. */
export interface ChartProgress {
  created: number;
  finished: boolean;
}

interface Props {
  buckets: readonly PreviewBucket[];
  /** What each bucket is: whole hours, days or weeks of `timeZone`; null or absent for equal slices. */
  unit?: BucketUnit | null;
  /** Axis labels and the table in this zone (the browser's when Intl does not know it). */
  timeZone: string;
  /**
   * With `progress`: the records that exist in a solid colour, those planned but not made lighter.
   * Without: every bucket solid (a plan not started).
   */
  progress?: ChartProgress | null;
  /** Draw a line at this moment when it falls inside the chart. */
  now?: Date | null;
  caption: ReactNode;
  /** The numbers are from an earlier body (the current one is loading or has errors): dimmed. */
  stale?: boolean;
}

/** The schedule's buckets as a bar chart, with a legend and (folded) a table of the same numbers. */
export function ScheduleChart({ buckets, unit = null, timeZone, progress = null, now = null, caption, stale = false }: Props) {
  const created = progress?.created ?? null;
  const series = useMemo(() => chartSeries(buckets, created), [buckets, created]);
  const made = series.created;
  const colors = { created: COLORS.created, planned: made ? COLORS.planned : COLORS.created, now: COLORS.now };
  const fullBuckets = made ? buckets.filter((b, i) => made[i] === b.count).length : 0;

  return (
    <figure
      className={stale ? 'schedule-chart is-stale' : 'schedule-chart'}
      data-testid="schedule-chart"
      data-buckets={buckets.length}
      data-unit={unit ?? undefined}
      data-created-buckets={made ? fullBuckets : undefined}
      aria-busy={stale || undefined}
    >
      <figcaption className="chart-caption">{caption}</figcaption>
      {progress && (
        <ul className="chart-legend" aria-label="Legend">
          <li>
            <span className="swatch" style={{ background: colors.created }} aria-hidden="true" /> Created
          </li>
          {fullBuckets < buckets.length && (
            <li data-testid="legend-planned">
              <span className="swatch" style={{ background: colors.planned }} aria-hidden="true" />{' '}
              {progress.finished ? 'Planned, not created (the simulation has stopped)' : 'Planned, still to come'}
            </li>
          )}
          {now && (
            <li>
              <span className="swatch swatch-line" aria-hidden="true" /> Now
            </li>
          )}
        </ul>
      )}
      <ChartBoundary>
        <Suspense fallback={<div className="schedule-canvas" style={{ height: HEIGHT }} aria-hidden="true" />}>
          <ScheduleCanvas series={series} timeZone={timeZone} now={now} height={HEIGHT} colors={colors} />
        </Suspense>
      </ChartBoundary>
      <details className="chart-table">
        <summary>The numbers, period by period</summary>
        <div className="table-wrap">
          <table className="table" data-testid="schedule-table">
            <caption className="visually-hidden">Records per period, in {timeZone}</caption>
            <thead>
              <tr>
                <th scope="col">Period ({timeZone})</th>
                <th scope="col">Records</th>
                {made && <th scope="col">Created so far</th>}
              </tr>
            </thead>
            <tbody>
              {buckets.map((b, i) => (
                <tr key={b.start} data-created={made ? made[i] : undefined}>
                  <td>{bucketLabel(b, unit, timeZone)}</td>
                  <td>{formatCount(b.count)}</td>
                  {made && <td>{formatCount(made[i] ?? 0)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** A chart that cannot be drawn (no canvas, a chunk that failed to load) leaves the table. */
class ChartBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  render() {
    if (this.state.failed) {
      return (
        <p className="muted" data-testid="chart-unavailable">
          The chart could not be drawn here; the numbers are in the table below.
        </p>
      );
    }
    return this.props.children;
  }
}
