import type { PreviewForecast } from '../api/types';
import { formatCount } from '../lib/planned';

const usd = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallUsd = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** "$1.23"; below a dollar to four decimals ("$0.0042"), so a small bill does not read as $0.00. */
export function formatUsd(value: number): string {
  return value > 0 && value < 1 ? smallUsd.format(value) : usd.format(value);
}

/** The persona bill of a preview: provider, calls, tokens, dollars, HubSpot requests. */
export function Forecast({ forecast }: { forecast: PreviewForecast }) {
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
      <div>
        <dt>HubSpot requests</dt>
        <dd data-testid="forecast-hubspot">{formatCount(forecast.hubspot_requests)}</dd>
      </div>
    </dl>
  );
}
