import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { preview } from '../test/fixtures';
import { Forecast, formatShare } from './Forecast';

describe('the forecast of a run delivered to a CRM', () => {
  it('names the CRM, shows the share of a day’s allowance, and warns when a day is not enough', () => {
    const { forecast } = preview({
      forecast: {
        hubspot_requests: 42,
        hubspot_seconds: 90,
        crm_day_use: 0.84,
        crm_warning:
          'This run needs about 42 requests to Salesforce, more than the 50 a day this connection may send: its delivery will take about 2 days.',
      },
    });
    render(<Forecast forecast={forecast} delivery={{ connectionName: 'Developer org', crm: 'Salesforce' }} />);

    expect(screen.getByText('Salesforce requests')).toBeInTheDocument();
    expect(screen.getByTestId('forecast-hubspot')).toHaveTextContent('42');
    expect(screen.getByTestId('forecast-day-use')).toHaveTextContent('84% of what Developer org may send in a day');
    expect(screen.getByTestId('forecast-crm-warning')).toHaveTextContent('its delivery will take about 2 days');
  });

  it('shows neither without a daily limit or a warning', () => {
    const { forecast } = preview({ forecast: { hubspot_requests: 3, crm_day_use: null, crm_warning: '' } });
    render(<Forecast forecast={forecast} delivery={{ connectionName: 'Stand-in' }} />);
    expect(screen.getByText('HubSpot requests')).toBeInTheDocument();
    expect(screen.queryByTestId('forecast-day-use')).not.toBeInTheDocument();
    expect(screen.queryByTestId('forecast-crm-warning')).not.toBeInTheDocument();
  });

  it('writes small and large shares readably', () => {
    expect([formatShare(0.004), formatShare(0.25), formatShare(2.5)]).toEqual(['0.4%', '25%', '250%']);
  });
});
