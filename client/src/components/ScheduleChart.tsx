import { Component, Suspense, lazy, useMemo, type ReactNode } from 'react';
import type { PreviewBucket } from '../api/types';
import { bucketIsPast, chartSeries, formatCount, formatInZone } from '../lib/planned';

const ScheduleCanvas = lazy(() => import('./ScheduleCanvas'));

const HEIGHT = 200;
const COLORS = { solid: '#2452d6', light: '#b9c9f4', now: '#1c2230' };

interface Props {
  buckets: readonly PreviewBucket[];
  /** Axis labels and the table in this zone (the browser's when Intl does not know it). */
  timeZone: string;
  /**
   * With `now`: the buckets that are over in a solid colour, those to come lighter, and a line at
   * now. Without: every bucket solid (a plan not started).
   */
  now?: Date | null;
  caption: ReactNode;
  /** The numbers are from an earlier body (the current one is loading or has errors): dimmed. */
  stale?: boolean;
}

/** The schedule's buckets as a bar chart, with a legend and (folded) a table of the same numbers. */
export function ScheduleChart({ buckets, timeZone, now = null, caption, stale = false }: Props) {
  const series = useMemo(() => chartSeries(buckets, now), [buckets, now]);
  const pastBuckets = now ? buckets.filter((b) => bucketIsPast(b, now)).length : 0;
  const colors = { past: COLORS.solid, future: now ? COLORS.light : COLORS.solid, now: COLORS.now };

  return (
    <figure
      className={stale ? 'schedule-chart is-stale' : 'schedule-chart'}
      data-testid="schedule-chart"
      data-buckets={buckets.length}
      data-past-buckets={pastBuckets}
      aria-busy={stale || undefined}
    >
      <figcaption className="chart-caption">{caption}</figcaption>
      {now && (
        <ul className="chart-legend" aria-label="Legend">
          <li>
            <span className="swatch" style={{ background: colors.past }} aria-hidden="true" /> Over: time has passed
          </li>
          <li>
            <span className="swatch" style={{ background: colors.future }} aria-hidden="true" /> Still to come
          </li>
          <li>
            <span className="swatch swatch-line" aria-hidden="true" /> Now
          </li>
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
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Records</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr key={b.start} data-past={bucketIsPast(b, now) || undefined}>
                  <td>{formatInZone(b.start, timeZone)}</td>
                  <td>{formatInZone(b.end, timeZone)}</td>
                  <td>{formatCount(b.count)}</td>
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
