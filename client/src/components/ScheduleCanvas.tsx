/**
 * The schedule as bars on a canvas (uPlot). Loaded on its own (React.lazy), so the list and sign-in
 * pages do not carry the chart library. ScheduleChart wraps it with the legend and a table of the
 * same numbers.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isUsableTimeZone } from '../lib/planned';
import type { ChartSeries } from '../lib/schedule';

export interface ScheduleCanvasProps {
  series: ChartSeries;
  timeZone: string;
  /** Draw a line at this moment when it falls inside the window. */
  now: Date | null;
  height?: number;
  colors: { created: string; planned: string; now: string };
}

const FALLBACK_WIDTH = 600;

function widthOf(element: HTMLElement): number {
  return Math.max(Math.floor(element.clientWidth), 200) || FALLBACK_WIDTH;
}

function options(props: ScheduleCanvasProps, width: number): uPlot.Options {
  const { series, timeZone, now, height = 200, colors } = props;
  const zone = isUsableTimeZone(timeZone) ? timeZone : undefined;
  const bars = uPlot.paths.bars?.({ size: [0.86, 64], align: 0 });
  const nowSeconds = now ? now.getTime() / 1000 : null;
  return {
    width,
    height,
    // Axis labels in the simulation's zone, like the instants listed under the chart.
    tzDate: zone ? (ts) => uPlot.tzDate(new Date(ts * 1000), zone) : (ts) => new Date(ts * 1000),
    legend: { show: false },
    cursor: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: true, range: () => series.range },
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil((max || 0) * 1.1))] },
    },
    axes: [
      { stroke: '#5b6476', grid: { show: false }, ticks: { show: true, stroke: '#d9dde5' }, size: 48 },
      { stroke: '#5b6476', grid: { stroke: '#eceff4' }, ticks: { show: false }, size: 44 },
    ],
    series: [
      {},
      // Every bucket's records, then how many of them exist drawn over it from the axis up.
      { label: 'Planned', stroke: colors.planned, fill: colors.planned, width: 0, paths: bars, points: { show: false } },
      { label: 'Created', stroke: colors.created, fill: colors.created, width: 0, paths: bars, points: { show: false }, show: series.created !== null },
    ],
    hooks: {
      draw: [
        (u) => {
          if (nowSeconds === null || nowSeconds < series.range[0] || nowSeconds > series.range[1]) return;
          const x = Math.round(u.valToPos(nowSeconds, 'x', true));
          const { ctx, bbox } = u;
          ctx.save();
          ctx.strokeStyle = colors.now;
          ctx.lineWidth = Math.max(1, Math.round(devicePixelRatio || 1));
          ctx.setLineDash([4 * (devicePixelRatio || 1), 3 * (devicePixelRatio || 1)]);
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          ctx.restore();
        },
      ],
    },
  };
}

function data(series: ChartSeries): uPlot.AlignedData {
  return [series.x, series.planned, series.created ?? series.planned.map(() => null)];
}

export default function ScheduleCanvas(props: ScheduleCanvasProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { series, timeZone, now, height, colors } = props;
  const nowMinute = now ? Math.floor(now.getTime() / 60_000) : null;

  // A new chart when anything but the data changes (options are fixed at creation).
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const chart = new uPlot(options(props, widthOf(element)), data(series), element);
    plot.current = chart;
    let observer: ResizeObserver | null = null;
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => {
        const width = widthOf(element);
        if (width !== chart.width) chart.setSize({ width, height: chart.height });
      });
      observer.observe(element);
    }
    return () => {
      observer?.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Not on `series`: new numbers go through setData below. `now` counts by the minute.
  }, [timeZone, nowMinute, height, colors.created, colors.planned, colors.now, series.range[0], series.range[1], series.created === null]);

  // New numbers for the same window: only the data.
  useEffect(() => {
    plot.current?.setData(data(series), true);
  }, [series]);

  return <div ref={box} className="schedule-canvas" data-testid="schedule-canvas" aria-hidden="true" />;
}
