"""The SYNC_CRM job: deliver one simulation's pending records of one type to its HubSpot portal.

Contacts are upserted by `email`, companies and deals by the unique `simcrm_id` property (created
in the portal the first time it is needed), at most 100 a request; then the associations (contact
to company, deal to contact and company) through the v4 default-association batch endpoint. Each
step is idempotent in HubSpot, so a job repeated after a lost answer or a killed worker leaves each
record and association there once.

A job never skips a record: it sends it, waits (deferred, without using an attempt) while the
budget or HubSpot says so, retries it with backoff, or marks it `failed` with a `sync_error`.
One job at a time works on one simulation's records of one type (a PostgreSQL advisory lock), so
two workers never send the same batch twice at once.
"""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from connectors.budget import BudgetExhausted, budget_wait_and_take, connection_block
from connectors.crypto import token_decrypt
from connectors.hubspot import BATCH_LIMIT, HubSpotClient, HubSpotError, Refusal
from connectors.models import Connection, ConnectionStatus, Installation
from connectors.outbox import ASSOCIATIONS, GATHER, delivery_queue
from jobs.models import ScheduledJob
from jobs.registry import JobDeferred, JobFailed, JobHandler
from jobs.runner import scheduled_job_completing
from simulations.job_types import JobType
from simulations.models import Company, Contact, Deal, DeliveredRecord, Simulation, SyncStatus

logger = logging.getLogger(__name__)

UNIQUE_PROPERTY = "simcrm_id"
MODELS: dict[str, type[DeliveredRecord]] = {"contacts": Contact, "companies": Company, "deals": Deal}
# Full batches one job sends before it hands over to the next (a few seconds at the starter limit).
BATCHES_PER_JOB = 4
_LOCK_NAMESPACE = int.from_bytes(hashlib.blake2b(b"simcrm.delivery", digest_size=4).digest(), "big", signed=True)


def delivery_run(job: ScheduledJob, claim: str) -> None:
    object_type = str(job.payload.get("object", ""))
    simulation = Simulation.objects.only("id", "connection_id").get(pk=job.simulation_id)
    if simulation.connection_id is None:
        failed = _fail_pending(
            simulation.pk, object_type, "The simulation's connection was deleted; it is not delivered."
        )
        _complete(job, claim, {"delivered": 0, "failed": failed})
        return
    connection = Connection.objects.get(pk=simulation.connection_id)
    if connection.status == ConnectionStatus.INVALID:
        # Held: the records stay pending, and a PATCH with a good token queues them again.
        _complete(job, claim, {"delivered": 0, "held": connection.last_error})
        return
    next_jobs: list[tuple[str, timedelta]] = []
    with _one_at_a_time(simulation.pk, object_type) as alone:
        if not alone:
            raise JobDeferred("Another worker is delivering these records; this job waits for it.", delay=1.0)
        result = _deliver(job, connection, simulation.pk, object_type, next_jobs)
    # Queued once the lock is released, so the next job does not find it still held.
    _complete(job, claim, result, next_jobs)


SYNC_CRM_HANDLER = JobHandler(job_type=JobType.SYNC_CRM, run=delivery_run, independent_of_owner=True)


def hubspot_client(connection: Connection, *, probing: bool = False) -> HubSpotClient:
    """A client whose every request first takes a slot of the connection's shared budget (a probe
    takes one too, though the connection is blocked for everyone else)."""
    return HubSpotClient(
        base_url=connection.base_url,
        token=token_decrypt(connection.token_encrypted),
        timeout=settings.SIMCRM_HUBSPOT_TIMEOUT_SECONDS,
        before_request=lambda: budget_wait_and_take(connection_id=connection.pk, ignore_block=probing),
    )


def _deliver(
    job: ScheduledJob,
    connection: Connection,
    simulation_id: int,
    object_type: str,
    next_jobs: list[tuple[str, timedelta]],
) -> dict[str, Any]:
    delivered = 0
    with hubspot_client(connection) as client:
        try:
            if connection.status == ConnectionStatus.RATE_LIMITED:
                _probe(connection)
            if object_type == ASSOCIATIONS:
                delivered = _associate_all(client, simulation_id, next_jobs)
            else:
                delivered = _upsert_all(client, connection, simulation_id, object_type, next_jobs)
        except BudgetExhausted as exhausted:
            raise JobDeferred(f"Waiting for the request budget: {exhausted}", delay=exhausted.wait) from None
        except HubSpotError as error:
            return _refused(job, connection, simulation_id, object_type, error, delivered, next_jobs)
    return {"delivered": delivered, "requests": client.requests}


def _probe(connection: Connection) -> None:
    """After a daily limit, one cheap call (by the one job that claims the probe) says whether HubSpot
    accepts again; the others wait for the next probe."""
    now = timezone.now()
    probe_claimed = Connection.objects.filter(
        Q(blocked_until__isnull=True) | Q(blocked_until__lte=now),
        pk=connection.pk,
        status=ConnectionStatus.RATE_LIMITED,
    ).update(blocked_until=now + timedelta(seconds=settings.SIMCRM_HUBSPOT_PROBE_SECONDS))
    if not probe_claimed:
        raise BudgetExhausted(settings.SIMCRM_HUBSPOT_PROBE_SECONDS, "another job is probing HubSpot's daily limit")
    with hubspot_client(connection, probing=True) as prober:
        prober.account_details()
    Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.OK, last_error="", blocked_until=None)


def _upsert_all(
    client: HubSpotClient,
    connection: Connection,
    simulation_id: int,
    object_type: str,
    next_jobs: list[tuple[str, timedelta]],
) -> int:
    """Up to BATCHES_PER_JOB full batches of 100, then the next job is queued at once. Short jobs keep
    the queue's other work (and the other kinds of record) from waiting behind a long delivery."""
    model = MODELS[object_type]
    if object_type != "contacts":
        _unique_property_ensure(client, connection, object_type)
    delivered = 0
    for _ in range(BATCHES_PER_JOB):
        batch = list(_pending(model, simulation_id)[:BATCH_LIMIT])
        if batch:
            delivered += _upsert(client, object_type, batch)
        if len(batch) < BATCH_LIMIT:
            break  # records still coming queue a job of their own
    if _pending(model, simulation_id).exists():
        next_jobs.append((object_type, timedelta(0)))
    if delivered:
        next_jobs.append((ASSOCIATIONS, GATHER))
    return delivered


def _pending(model: type[DeliveredRecord], simulation_id: int) -> QuerySet[Any]:
    return model.objects.filter(simulation_id=simulation_id, sync_status=SyncStatus.PENDING).order_by("id")


def _unique_property_ensure(client: HubSpotClient, connection: Connection, object_type: str) -> None:
    if object_type in connection.unique_property_on:
        return
    if not client.property_exists(object_type, UNIQUE_PROPERTY):
        client.unique_property_create(object_type, UNIQUE_PROPERTY, "SimCRM id")
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        locked.unique_property_on = sorted({*locked.unique_property_on, object_type})
        locked.save(update_fields=["unique_property_on", "updated_at"])
    connection.unique_property_on = locked.unique_property_on


def _upsert(client: HubSpotClient, object_type: str, batch: list[Any]) -> int:
    """One batch request; the records it answered for are `synced` unless they changed again meanwhile."""
    installation = _installation_key()
    keyed = {_key(object_type, record, installation): record for record in batch}
    id_property = "email" if object_type == "contacts" else UNIQUE_PROPERTY
    inputs = [(key, _properties(object_type, record, key)) for key, record in keyed.items()]
    try:
        found = client.batch_upsert(object_type, id_property=id_property, inputs=inputs)
    except HubSpotError as error:
        if not (object_type == "contacts" and error.refusal == Refusal.INVALID and "lifecyclestage" in error.message):
            raise
        # The portal holds a later stage for one of these emails (a replay into the same portal, or a
        # stage set by hand) and HubSpot moves stages forward only: keep its stage, send the rest.
        found = client.batch_upsert(
            object_type, id_property=id_property, inputs=[(key, _without_stage(props)) for key, props in inputs]
        )
    answered = {key: crm_id for key, crm_id in found.items() if key in keyed}
    model = type(batch[0])
    with transaction.atomic():
        _mark_delivered(model, [(keyed[key].pk, crm_id, keyed[key].sync_version) for key, crm_id in answered.items()])
        missing = [record.pk for key, record in keyed.items() if key not in answered]
        if missing:
            model.objects.filter(pk__in=missing).update(
                sync_status=SyncStatus.FAILED, sync_error="HubSpot's answer to the batch did not include this record."
            )
    return len(answered)


def _mark_delivered(model: type[DeliveredRecord], delivered: list[tuple[int, str, int]]) -> None:
    """Store each (id, crm_id, version)'s crm_id, and mark it synced unless it changed again since it was read.

    On PostgreSQL one UPDATE joined to unnest()ed arrays (a hundred single updates cost more than the request).
    """
    if not delivered:
        return
    if db_connection.vendor != "postgresql":
        for record_id, crm_id, version in delivered:
            model.objects.filter(pk=record_id).update(crm_id=crm_id)
            model.objects.filter(pk=record_id, sync_version=version).update(
                sync_status=SyncStatus.SYNCED, sync_error=""
            )
        return
    table = db_connection.ops.quote_name(model._meta.db_table)
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET crm_id = sent.crm_id, "  # noqa: S608 (the table name is the model's)
            f"sync_status = CASE WHEN {table}.sync_version = sent.version THEN %s ELSE {table}.sync_status END, "
            f"sync_error = CASE WHEN {table}.sync_version = sent.version THEN '' ELSE {table}.sync_error END "
            f"FROM unnest(%s::bigint[], %s::text[], %s::int[]) AS sent(id, crm_id, version) WHERE {table}.id = sent.id",
            [
                SyncStatus.SYNCED,
                [record_id for record_id, _, _ in delivered],
                [crm_id for _, crm_id, _ in delivered],
                [version for _, _, version in delivered],
            ],
        )


def _associate_all(client: HubSpotClient, simulation_id: int, next_jobs: list[tuple[str, timedelta]]) -> int:
    """Up to BATCHES_PER_JOB rounds of the next 100 associations of each kind whose two ends are in
    the portal and that are not there yet; while rounds come full, the next job is queued at once."""
    made = 0
    for _ in range(BATCHES_PER_JOB):
        made_now, full = _associate_round(client, simulation_id)
        made += made_now
        if not full:
            return made
    next_jobs.append((ASSOCIATIONS, timedelta(0)))
    return made


def _associate_round(client: HubSpotClient, simulation_id: int) -> tuple[int, bool]:
    """One request per kind of association, each sent only when full, or when no record it waits for
    is still to be delivered (so no request goes out a quarter full while the rest is on its way)."""
    contacts_waiting = _pending(Contact, simulation_id).exists() or _pending(Company, simulation_id).exists()
    deals_waiting = contacts_waiting or _pending(Deal, simulation_id).exists()
    contacts = list(
        Contact.objects.filter(
            simulation_id=simulation_id,
            crm_associated=False,
            crm_id__isnull=False,
            company_record__crm_id__isnull=False,
        )
        .select_related("company_record")
        .order_by("id")[:BATCH_LIMIT]
    )
    deals = list(
        Deal.objects.filter(
            simulation_id=simulation_id, crm_associated=False, crm_id__isnull=False, contact__crm_id__isnull=False
        )
        .filter(Q(company__isnull=True) | Q(company__crm_id__isnull=False))
        .select_related("contact", "company")
        .order_by("id")[:BATCH_LIMIT]
    )
    made = 0
    if contacts and (len(contacts) == BATCH_LIMIT or not contacts_waiting):
        pairs = [(c.crm_id or "", c.company_record.crm_id or "") for c in contacts if c.company_record]
        client.associate_default("contacts", "companies", pairs)
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(crm_associated=True)
        made += len(pairs)
    if deals and (len(deals) == BATCH_LIMIT or not deals_waiting):
        client.associate_default("deals", "contacts", [(d.crm_id or "", d.contact.crm_id or "") for d in deals])
        with_company = [(d.crm_id or "", d.company.crm_id or "") for d in deals if d.company is not None]
        if with_company:
            client.associate_default("deals", "companies", with_company)
        Deal.objects.filter(pk__in=[d.pk for d in deals]).update(crm_associated=True)
        made += len(deals) + len(with_company)
    return made, len(contacts) == BATCH_LIMIT or len(deals) == BATCH_LIMIT


def _refused(
    job: ScheduledJob,
    connection: Connection,
    simulation_id: int,
    object_type: str,
    error: HubSpotError,
    delivered: int,
    next_jobs: list[tuple[str, timedelta]],
) -> dict[str, Any]:
    """What a refusal does to the connection and the records; raises to defer or retry the job."""
    if error.refusal == Refusal.AUTH:
        Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.INVALID, last_error=error.message)
        logger.warning("Connection %s: %s Deliveries are held.", connection.pk, error.message)
        return {"delivered": delivered, "held": error.message}
    if error.refusal in (Refusal.RATE, Refusal.DAILY):
        Connection.objects.filter(pk=connection.pk).update(rate_limited_answers=F("rate_limited_answers") + 1)
    if error.refusal == Refusal.RATE:
        wait = error.retry_after if error.retry_after is not None else 10.0
        connection_block(connection_id=connection.pk, seconds=wait)
        raise JobDeferred(f"{error.message} Waiting {wait:.0f} s.", delay=wait)
    if error.refusal == Refusal.DAILY:
        probe = float(settings.SIMCRM_HUBSPOT_PROBE_SECONDS)
        Connection.objects.filter(pk=connection.pk).update(
            status=ConnectionStatus.RATE_LIMITED,
            last_error=f"{error.message} Deliveries are held; SimCRM asks again every {probe:.0f} s.",
            blocked_until=timezone.now() + timedelta(seconds=probe),
        )
        raise JobDeferred(f"{error.message} Probing again in {probe:.0f} s.", delay=probe)
    if error.refusal == Refusal.UNAVAILABLE and job.attempts < settings.SIMCRM_MAX_ATTEMPTS:
        raise JobFailed(error.message, retryable=True)
    # HubSpot refused this batch for good (or stayed unavailable through every attempt): say so on its records.
    failed = _fail_pending(simulation_id, object_type, error.message, limit=BATCH_LIMIT)
    if object_type != ASSOCIATIONS:
        next_jobs.append((object_type, timedelta(0)))
    return {"delivered": delivered, "failed": failed, "error": error.message}


def _fail_pending(simulation_id: int, object_type: str, message: str, *, limit: int | None = None) -> int:
    model = MODELS.get(object_type)
    if model is None:
        return 0
    ids = list(_pending(model, simulation_id).values_list("id", flat=True)[:limit])
    return model.objects.filter(pk__in=ids).update(sync_status=SyncStatus.FAILED, sync_error=message)


def _complete(
    job: ScheduledJob, claim: str, result: dict[str, Any], next_jobs: list[tuple[str, timedelta]] | None = None
) -> None:
    with scheduled_job_completing(job, claim) as completion:
        completion.result = result
        for object_type, delay in next_jobs or []:
            delivery_queue(simulation_id=job.simulation_id, object_type=object_type, delay=delay)


def _installation_key() -> str:
    installation = Installation.objects.order_by("id").first() or Installation.objects.create()
    return str(installation.key)


def _key(object_type: str, record: Any, installation: str) -> str:
    if object_type == "contacts":
        return str(record.email).lower()
    return f"{installation}:{object_type[:-1] if object_type != 'companies' else 'company'}:{record.pk}"


def _properties(object_type: str, record: Any, key: str) -> dict[str, str]:
    if object_type == "contacts":
        return {
            "email": record.email,
            "firstname": record.firstname,
            "lastname": record.lastname,
            "jobtitle": record.jobtitle,
            "company": record.company,
            "industry": record.industry,
            "phone": record.phone,
            "city": record.city,
            "country": record.country,
            "lifecyclestage": record.lifecyclestage,
        }
    if object_type == "companies":
        # HubSpot's company `industry` is an enumeration of its own: the text goes in the description.
        return {
            UNIQUE_PROPERTY: key,
            "name": record.name,
            "domain": record.domain,
            "city": record.city,
            "country": record.country,
            "numberofemployees": str(record.employees),
            "description": f"{record.industry} (SimCRM)",
        }
    return {
        UNIQUE_PROPERTY: key,
        "dealname": record.name,
        "amount": str(record.amount),
        "pipeline": record.pipeline,
        "dealstage": record.dealstage,
        "closedate": record.closedate.isoformat(),
    }


def _without_stage(properties: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in properties.items() if name != "lifecyclestage"}


@contextmanager
def _one_at_a_time(simulation_id: int, object_type: str) -> Iterator[bool]:
    """A session advisory lock on (simulation, type) for the job's length; SQLite runs one worker."""
    if db_connection.vendor != "postgresql":
        yield True
        return
    digest = hashlib.blake2b(f"{simulation_id}:{object_type}".encode(), digest_size=4).digest()
    ids = (_LOCK_NAMESPACE, int.from_bytes(digest, "big", signed=True))
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", ids)
        (acquired,) = cursor.fetchone()
    try:
        yield bool(acquired)
    finally:
        if acquired:
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", ids)
