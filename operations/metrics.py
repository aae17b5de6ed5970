"""GET /metrics: SimCRM's state in Prometheus' text format, read from the database at each scrape.

Read from the database rather than counted in memory: the jobs run in several worker processes
(and machines), and the tables already hold every outcome, so any web process answers for all.
The format is prometheus_client's own exposition.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from connectors.models import Connection
from jobs.models import JobStatus, ScheduledJob
from personas.models import CachedPersona

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class SimcrmCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _jobs()
        yield from _latency()
        yield from _personas()
        yield from _crm()


def _jobs() -> Iterator[Metric]:
    jobs = GaugeMetricFamily(
        "simcrm_jobs", "Jobs by type and status (outcome, once finished).", labels=["job_type", "status"]
    )
    for row in ScheduledJob.objects.order_by().values("job_type", "status").annotate(n=Count("id")):
        jobs.add_metric([row["job_type"], row["status"]], row["n"])
    yield jobs
    now = timezone.now()
    due = ScheduledJob.objects.filter(status=JobStatus.PENDING, scheduled_for__lte=now)
    yield GaugeMetricFamily("simcrm_queue_depth", "Pending jobs that are due now.", value=due.count())
    oldest = due.aggregate(oldest=Min("scheduled_for"))["oldest"]
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    yield GaugeMetricFamily("simcrm_oldest_due_job_age_seconds", "How long the oldest due job has waited.", value=age)


def _latency() -> Iterator[Metric]:
    """From each started job's due time to its (latest) start: how long work waits for a worker."""
    started = ScheduledJob.objects.filter(started_at__isnull=False, started_at__gte=F("scheduled_for")).annotate(
        latency=ExpressionWrapper(F("started_at") - F("scheduled_for"), output_field=DurationField())
    )
    counts = started.aggregate(
        total=Count("id"),
        seconds=Sum("latency"),
        **{
            f"le_{index}": Count("id", filter=Q(latency__lte=timedelta(seconds=le)))
            for index, le in enumerate(LATENCY_BUCKETS)
        },
    )
    buckets = [(str(le), counts[f"le_{index}"]) for index, le in enumerate(LATENCY_BUCKETS)]
    buckets.append(("+Inf", counts["total"]))
    total_seconds = counts["seconds"].total_seconds() if counts["seconds"] is not None else 0.0
    yield HistogramMetricFamily(
        "simcrm_scheduling_latency_seconds",
        "From a job's scheduled_for to its start (a backfill's past records count from their past instant).",
        buckets=buckets,
        sum_value=total_seconds,
    )


def _personas() -> Iterator[Metric]:
    pools = CachedPersona.objects.aggregate(
        calls=Sum("generation_calls"), prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens")
    )
    calls, prompt, completion = pools["calls"] or 0, pools["prompt"] or 0, pools["completion"] or 0
    yield CounterMetricFamily(
        "simcrm_persona_calls", "Provider calls that filled the persona pools now cached.", value=calls
    )
    tokens = CounterMetricFamily("simcrm_persona_tokens", "Tokens of those calls.", labels=["kind"])
    tokens.add_metric(["prompt"], prompt)
    tokens.add_metric(["completion"], completion)
    yield tokens
    # Each pool at the price of the model that wrote it; pools of an unknown model or price are left out.
    by_model = CachedPersona.objects.values_list("model").annotate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens")
    )
    cost, priced = 0.0, False
    for model, model_prompt, model_completion in by_model:
        price = settings.SIMCRM_MODEL_PRICES.get(model)
        if price is not None:
            cost, priced = cost + (model_prompt * price[0] + model_completion * price[1]) / 1_000_000, True
    if priced:
        yield CounterMetricFamily(
            "simcrm_persona_cost_usd", "Those tokens at their model's price (SIMCRM_MODEL_PRICES).", value=cost
        )


def _crm() -> Iterator[Metric]:
    requests = CounterMetricFamily(
        "simcrm_crm_requests", "Requests sent to a CRM, by connection and CRM.", labels=["connection", "crm"]
    )
    limited = CounterMetricFamily(
        "simcrm_crm_rate_limited", "A CRM's rate-limit answers, by connection and CRM.", labels=["connection", "crm"]
    )
    rows = Connection.objects.values_list("id", "kind", "requests_sent", "rate_limited_answers")
    for connection_id, kind, sent, refused in rows:
        requests.add_metric([str(connection_id), kind], sent)
        limited.add_metric([str(connection_id), kind], refused)
    yield requests
    yield limited
