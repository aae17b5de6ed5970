import { formatCount } from '../lib/planned';

export function Pager({
  count,
  next,
  previous,
  onPage,
  label,
}: {
  count: number;
  next: string | null;
  previous: string | null;
  onPage: (url: string) => void;
  label: string;
}) {
  if (!next && !previous) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="btn" disabled={!previous} onClick={() => previous && onPage(previous)}>
        ← Previous
      </button>
      <span className="muted" data-testid="pager-count">
        {formatCount(count)} in all
      </span>
      <button type="button" className="btn" disabled={!next} onClick={() => next && onPage(next)}>
        Next →
      </button>
    </nav>
  );
}
