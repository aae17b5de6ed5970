import { useId, type CSSProperties } from 'react';
import type { Funnel } from '../api/types';
import { CLOSED_DEAL_STAGES, DEAL_STAGES, LIFECYCLE_STAGES, dealStageLabel, formatMoney, lifecycleLabel } from '../lib/crm';
import { formatCount } from '../lib/planned';

/** The funnel's amounts are sums of deals, which SimCRM makes in US dollars. */
const CURRENCY = 'USD';

function count(map: Record<string, number> | undefined, stage: string): number {
  const n = map?.[stage];
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function amount(map: Record<string, string> | undefined, stage: string): number {
  const n = Number(map?.[stage] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A bar as wide as `value` is of `max` (at least a sliver when not zero); the number beside it says it. */
function Bar({ value, max, kind }: { value: number; max: number; kind: 'count' | 'amount' }) {
  const share = max > 0 ? (value / max) * 100 : 0;
  const style: CSSProperties = { width: `${value > 0 ? Math.max(share, 1) : 0}%` };
  return (
    <span className={`bar-track bar-${kind}`} aria-hidden="true">
      <span className="bar-fill" style={style} />
    </span>
  );
}

/**
 * The funnel as bars with their numbers: contacts per lifecycle stage, and deals (count and amount)
 * per deal stage, each in stage order. Plain tables underneath, so screen readers and tests read the
 * numbers. `deals` false: the simulation makes no deals (the original schedule), which it says.
 */
export function FunnelChart({ funnel, deals }: { funnel: Funnel; deals: boolean }) {
  const base = useId();
  const contacts = LIFECYCLE_STAGES.map((stage) => ({ stage, n: count(funnel.lifecyclestage, stage) }));
  const dealRows = DEAL_STAGES.map((stage) => ({
    stage,
    n: count(funnel.dealstage, stage),
    amount: amount(funnel.pipeline_amount, stage),
  }));
  const totalContacts = contacts.reduce((sum, r) => sum + r.n, 0);
  const totalDeals = dealRows.reduce((sum, r) => sum + r.n, 0);
  const open = dealRows.filter((r) => !CLOSED_DEAL_STAGES.includes(r.stage)).reduce((sum, r) => sum + r.amount, 0);
  const won = dealRows.find((r) => r.stage === 'closedwon')?.amount ?? 0;
  const maxContacts = Math.max(0, ...contacts.map((r) => r.n));
  const maxDeals = Math.max(0, ...dealRows.map((r) => r.n));
  const maxAmount = Math.max(0, ...dealRows.map((r) => r.amount));

  return (
    <div className="funnel" data-testid="funnel-chart">
      <p className="funnel-summary" data-testid="funnel-summary">
        <strong>
          {formatCount(totalContacts)} {totalContacts === 1 ? 'contact' : 'contacts'}
        </strong>
        {deals && (
          <>
            {' · '}
            <strong>
              {formatCount(totalDeals)} {totalDeals === 1 ? 'deal' : 'deals'}
            </strong>
            {' · '}
            {formatMoney(open, CURRENCY)} open pipeline · {formatMoney(won, CURRENCY)} won
          </>
        )}
      </p>

      <section className="funnel-section" aria-labelledby={`${base}-lifecycle`} data-testid="funnel-lifecycle">
        <h3 id={`${base}-lifecycle`}>Contacts by lifecycle stage</h3>
        <div className="table-wrap">
          <table className="funnel-table">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Contacts</th>
              </tr>
            </thead>
            <tbody>
              {contacts.map((r) => (
                <tr key={r.stage} data-testid="funnel-stage" data-stage={r.stage} data-count={r.n}>
                  <th scope="row">{lifecycleLabel(r.stage)}</th>
                  <td>
                    <span className="bar-cell">
                      <Bar value={r.n} max={maxContacts} kind="count" />
                      <span className="bar-value">{formatCount(r.n)}</span>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="funnel-section" aria-labelledby={`${base}-deals`} data-testid="funnel-deals">
        <h3 id={`${base}-deals`}>Deals by stage</h3>
        {deals ? (
          <div className="table-wrap">
            <table className="funnel-table">
              <thead>
                <tr>
                  <th scope="col">Stage</th>
                  <th scope="col">Deals</th>
                  <th scope="col">Amount ({CURRENCY})</th>
                </tr>
              </thead>
              <tbody>
                {dealRows.map((r) => (
                  <tr key={r.stage} data-testid="funnel-deal-stage" data-stage={r.stage} data-count={r.n} data-amount={r.amount}>
                    <th scope="row">{dealStageLabel(r.stage)}</th>
                    <td>
                      <span className="bar-cell">
                        <Bar value={r.n} max={maxDeals} kind="count" />
                        <span className="bar-value">{formatCount(r.n)}</span>
                      </span>
                    </td>
                    <td>
                      <span className="bar-cell">
                        <Bar value={r.amount} max={maxAmount} kind="amount" />
                        <span className="bar-value">{formatMoney(r.amount, CURRENCY)}</span>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted" data-testid="funnel-no-deals">
            This simulation runs the original schedule: contacts only, so no deals. A planned run opens deals and moves
            contacts along the funnel.
          </p>
        )}
      </section>
    </div>
  );
}
