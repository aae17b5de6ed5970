import type { PreviewForecast } from '../api/types';
import { formatDuration } from '../lib/hubspot';
import { dealsForecast, formatCount } from '../lib/planned';

const usd = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallUsd = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** "12%", "0.4%", "250%": a share of a day's allowance. */
export function formatShare(share: number): string {
  const percent = share * 100;
  return `${percent > 0 && percent < 1 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** "$1.23"; below a dollar to four decimals ("$0.0042"), so a small bill does not read as $0.00. */
export function formatUsd(value: number): string {
  return value > 0 && value < 1 ? smallUsd.format(value) : usd.format(value);
}

/**
 * The bill of a preview: provider, persona calls, tokens, dollars; with `delivery` (the connection
 * picked) also the CRM's requests, the time the connection's limits imply for them, the share of a day's
 * allowance they take and a warning when a day is not enough; with `contacts` (a planned run's) the deals
 * it opens and the activities it makes.
 */
export function Forecast({
  forecast,
  delivery = null,
  contacts = null,
}: {
  forecast: PreviewForecast;
  delivery?: { connectionName: string; crm?: string } | null;
  contacts?: number | null;
}) {
  const provider = forecast.model ? `${forecast.provider} (${forecast.model})` : forecast.provider;
  const offline = forecast.provider === 'offline';
  return (
    <dl className="forecast" data-testid="forecast">
      <div>
        <dt>Personas from</dt>
        <dd data-testid="forecast-provider">{offline ? 'offline (made up locally, no provider)' : provider}</dd>
      </div>
      <div>
        <dt>Persona calls</dt>
        <dd data-testid="forecast-calls">{formatCount(forecast.persona_calls)}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd data-testid="forecast-tokens">
          {formatCount(forecast.prompt_tokens)} prompt + {formatCount(forecast.completion_tokens)} completion
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd data-testid="forecast-cost">
          {forecast.cost_usd === null ? 'unknown price' : `${formatUsd(forecast.cost_usd)} (USD)`}
        </dd>
      </div>
      {contacts !== null && (
        <div>
          <dt>Deals</dt>
          <dd data-testid="forecast-deals">{dealsForecast(forecast, contacts)}</dd>
        </div>
      )}
      {contacts !== null && forecast.activities > 0 && (
        <div>
          <dt>Activities</dt>
          <dd data-testid="forecast-activities">
            about {formatCount(forecast.activities)}
            {forecast.activity_text_calls > 0 && (
              <span className="muted small block">
                their texts: {formatCount(forecast.activity_text_calls)} model {forecast.activity_text_calls === 1 ? 'call' : 'calls'}, counted
                in the tokens and cost
              </span>
            )}
          </dd>
        </div>
      )}
      {delivery && (
        <>
          <div>
            <dt>{delivery.crm ?? 'HubSpot'} requests</dt>
            <dd data-testid="forecast-hubspot">
              {formatCount(forecast.hubspot_requests)}
              {forecast.crm_day_use != null && (
                <span className="muted small block" data-testid="forecast-day-use">
                  {formatShare(forecast.crm_day_use)} of what {delivery.connectionName} may send in a day
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>{delivery.crm ?? 'HubSpot'} time</dt>
            <dd data-testid="forecast-hubspot-time">
              {formatDuration(forecast.hubspot_seconds)}
              <span className="muted small block">at {delivery.connectionName}’s limits</span>
            </dd>
          </div>
          {forecast.crm_warning && (
            <p className="alert alert-warning forecast-warning" role="status" data-testid="forecast-crm-warning">
              {forecast.crm_warning}
            </p>
          )}
        </>
      )}
    </dl>
  );
}
