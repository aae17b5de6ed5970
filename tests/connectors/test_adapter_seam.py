"""A CRM is one adapter: a throwaway CRM, its server and its adapter all in this module, registered for a
kind of its own, receives a simulation through the same budget, outbox and retries as HubSpot."""

import json
import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.budget import requests_per_window
from connectors.crm import base
from connectors.crm.base import (
    BeforeRequest,
    CrmBudget,
    CrmConnection,
    CrmError,
    CrmSession,
    Refusal,
    UpsertInput,
)
from connectors.crypto import token_decrypt
from connectors.models import Connection
from connectors.services import connection_create
from jobs.models import ScheduledJob
from simulations.delivery import DeliveryVolume
from simulations.job_types import JobType
from simulations.kinds import RecordKind
from simulations.models import Company, Contact, Deal
from tests.connectors.test_delivery import planned
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

TOKEN = "tiny-crm-token-1234"


@dataclass
class TinyCrm:
    """The CRM's state: records by kind and key (an upsert by key never makes a second one), links, requests."""

    records: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    links: set[tuple[str, str, str, str]] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    refuse_next_upsert: bool = True
    refused: int = 0
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(f"{method} {path}")
            if token != TOKEN:
                return 401, {"error": "bad token"}
            parts = path.strip("/").split("/")
            if method == "GET" and parts == ["account"]:
                return 200, {"id": 77}
            if method == "POST" and parts[0] == "records":
                if self.refuse_next_upsert:
                    self.refuse_next_upsert, self.refused = False, self.refused + 1
                    return 503, {"error": "busy, try again"}
                stored = self.records.setdefault(parts[1], {})
                for item in body["records"]:
                    if item["key"] not in stored:
                        self.next_id += 1
                        stored[item["key"]] = (str(self.next_id), {})
                    stored[item["key"]] = (stored[item["key"]][0], item["fields"])
                return 200, {"ids": {item["key"]: stored[item["key"]][0] for item in body["records"]}}
            if method == "POST" and parts[0] == "links":
                self.links.update((parts[1], a, parts[2], b) for a, b in body["pairs"])
                return 200, {"linked": len(body["pairs"])}
            return 404, {"error": path}


@pytest.fixture
def tiny_crm() -> Iterator[tuple[TinyCrm, str]]:
    crm = TinyCrm()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            status, answer = crm.answer(self.command, self.path, token, body)
            content = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield crm, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class TinySession:
    def __init__(self, base_url: str, token: str, before_request: BeforeRequest) -> None:
        self._http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5.0)
        self._before_request = before_request

    def close(self) -> None:
        self._http.close()

    def daily_usage(self) -> tuple[int, int] | None:
        return None

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._before_request is not None:
            self._before_request()
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise CrmError(Refusal.UNAVAILABLE, f"No answer from the tiny CRM ({type(error).__name__}).") from None
        if response.status_code >= 400:
            raise TinyAdapter.classify(response.status_code, response.json())
        answer: dict[str, Any] = response.json()
        return answer

    def upsert(self, kind: RecordKind, inputs: list[UpsertInput]) -> dict[str, str]:
        records = [{"key": key, "fields": fields} for key, fields in inputs]
        return dict(self.send("POST", f"/records/{kind.name}", {"records": records})["ids"])

    def associate(self, from_kind: RecordKind, to_kind: RecordKind, pairs: list[tuple[str, str]]) -> int:
        return int(self.send("POST", f"/links/{from_kind.name}/{to_kind.name}", {"pairs": pairs})["linked"])


class TinyAdapter:
    kind = "tinycrm"
    label = "Tiny CRM"
    default_base_url = "https://api.tinycrm.invalid"
    tiers: Mapping[str, str] = {"small": "Small", "large": "Large"}  # plans of its own, none of HubSpot's
    secret_patterns: tuple[str, ...] = (r"tiny-crm-token-\d+",)
    find_after_seconds = 0.0
    credentials: tuple[str, ...] = ("access_token", "base_url")
    secret_field = "access_token"
    daily_share_default: float | None = None
    # Batches of 7, so a small simulation takes several requests of each kind.
    budget = CrmBudget(
        window_seconds=1.0,
        requests_per_window={"small": 40, "large": 80},
        batch_limit=7,
        requests_per_day={"small": 1_000_000},
    )

    def session(self, connection: CrmConnection, *, before_request: BeforeRequest) -> CrmSession:
        return TinySession(connection.base_url, token_decrypt(connection.token_encrypted), before_request)

    def account_check(self, session: CrmSession) -> int | None:
        assert isinstance(session, TinySession)
        return int(session.send("GET", "/account")["id"])

    def prepare(self, session: CrmSession, connection: CrmConnection, kind: RecordKind) -> dict[str, list[str]]:
        return {}  # no fields of SimCRM's own to make

    def record_key(self, kind: RecordKind, record: Any, simcrm_id: str) -> str:
        return simcrm_id

    def upsert_inputs(self, kind: RecordKind, keyed: Mapping[str, Any], *, fallback: bool) -> list[UpsertInput]:
        return [(key, {"name": str(getattr(record, "email", None) or record.name)}) for key, record in keyed.items()]

    def upsert_fallback(self, kind: RecordKind, error: CrmError) -> bool:
        return False

    def creates(self, kind: RecordKind) -> bool:
        return False  # every kind is upserted by its key, then associated

    def requests_forecast(self, volume: DeliveryVolume) -> int:
        records = sum(volume.creates.values()) + sum(volume.updates.values())
        return math.ceil(records / self.budget.batch_limit)

    def probe_seconds(self) -> float:
        return 60.0

    @staticmethod
    def classify(status: int, body: dict[str, Any]) -> CrmError:
        message = f"The tiny CRM answered {status}: {body.get('error')}."
        if status == 401:
            return CrmError(Refusal.AUTH, message, status)
        if status == 429:
            return CrmError(Refusal.RATE, message, status, retry_after=1.0)
        if status >= 500:
            return CrmError(Refusal.UNAVAILABLE, message, status)
        return CrmError(Refusal.INVALID, message, status)


@pytest.fixture
def tiny_adapter(monkeypatch: pytest.MonkeyPatch) -> TinyAdapter:
    adapter = TinyAdapter()
    monkeypatch.setitem(base._adapters, adapter.kind, adapter)
    return adapter


def test_a_simulation_is_delivered_to_a_crm_added_as_one_adapter(
    api_client: APIClient, user: Any, tiny_crm: tuple[TinyCrm, str], tiny_adapter: TinyAdapter
) -> None:
    crm, base_url = tiny_crm
    connection = connection_create(
        owner=user, name="Tiny", kind=tiny_adapter.kind, access_token=TOKEN, base_url=base_url
    )
    assert connection.portal_id == 77  # the token checked through the adapter
    assert connection.tier == "small"  # its adapter's first tier
    assert requests_per_window(connection) == 36  # 90% of the adapter's limit for the tier

    response = api_client.post("/api/simulations/", planned(connection.pk, total_records=40), format="json")
    assert response.status_code == 201, response.content
    simulation_id = response.json()["id"]
    run_until_idle()

    # HubSpot's stand-in is not running: every request went to the tiny CRM, and its 503 was retried.
    assert crm.refused == 1
    for kind, model in (("contacts", Contact), ("companies", Company), ("deals", Deal)):
        records = list(model.objects.filter(simulation_id=simulation_id))
        stored = crm.records[kind]
        assert records and all(record.sync_status == "synced" and record.crm_id for record in records)
        assert len(stored) == len(records)  # each record once, however many times it was sent
        assert sorted(crm_id for crm_id, _ in stored.values()) == sorted(record.crm_id or "" for record in records)
    contacts = Contact.objects.filter(simulation_id=simulation_id, company_record__isnull=False)
    pairs = {(c.crm_id, c.company_record.crm_id if c.company_record else None) for c in contacts}
    assert pairs and {("contacts", a, "companies", b) for a, b in pairs} <= crm.links
    assert all(contact.crm_associated for contact in contacts)

    # The same shared budget counted every request the CRM received, the token check included.
    assert Connection.objects.get(pk=connection.pk).requests_sent == len(crm.requests)
    # Through the outbox's SYNC_CRM jobs, one of which met the refusal.
    deliveries = ScheduledJob.objects.filter(simulation_id=simulation_id, job_type=JobType.SYNC_CRM)
    assert deliveries.count() >= 2

    preview = api_client.post("/api/simulations/preview/", planned(connection.pk, total_records=40), format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["forecast"]["hubspot_requests"] > 0  # the API keeps its public name


def test_a_connections_kind_tiers_and_default_address_come_from_its_adapter(
    api_client: APIClient, tiny_crm: tuple[TinyCrm, str], tiny_adapter: TinyAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm, base_url = tiny_crm
    monkeypatch.setattr(tiny_adapter, "default_base_url", base_url)
    body = {"name": "Tiny", "kind": "tinycrm", "access_token": TOKEN}

    refused = api_client.post("/api/connections/", {**body, "tier": "starter"}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["tier"]  # a HubSpot plan, not this CRM's
    assert "small, large" in refused.json()["tier"][0]
    unknown = api_client.post("/api/connections/", {**body, "kind": "nocrm"}, format="json")
    assert unknown.status_code == 400 and list(unknown.json()) == ["kind"]
    assert crm.requests == []  # refused before any request

    created = api_client.post("/api/connections/", {**body, "tier": "large"}, format="json")
    assert created.status_code == 201, created.content
    answer = created.json()
    assert (answer["kind"], answer["tier"], answer["base_url"], answer["portal_id"]) == (
        "tinycrm",
        "large",
        base_url,
        77,
    )
    assert Connection.objects.get(pk=answer["id"]).get_kind_display() == "Tiny CRM"

    patched = api_client.patch(f"/api/connections/{answer['id']}/", {"tier": "enterprise"}, format="json")
    assert patched.status_code == 400 and list(patched.json()) == ["tier"]
    patched = api_client.patch(f"/api/connections/{answer['id']}/", {"tier": "small"}, format="json")
    assert patched.status_code == 200 and patched.json()["tier"] == "small"


def test_hubspot_keeps_its_defaults_when_no_kind_tier_or_address_is_given(user: Any) -> None:
    connection = Connection.objects.create(owner=user, name="Defaults", token_encrypted="x", token_last4="x")
    assert (connection.kind, connection.tier, connection.base_url) == ("hubspot", "starter", "https://api.hubapi.com")


def test_an_adapter_adds_the_shapes_of_its_secrets_to_the_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import redaction

    monkeypatch.setattr(base, "_adapters", dict(base._adapters))
    monkeypatch.setattr(redaction, "_PATTERNS", list(redaction._PATTERNS))
    monkeypatch.setattr(redaction, "_KEY_PATTERN", redaction._KEY_PATTERN)
    assert redaction.redact_secrets("refused pat-na1-0123456789") == "refused [redacted]"  # HubSpot's, registered
    assert TOKEN in redaction.redact_secrets(f"refused {TOKEN}")
    base.crm_adapter_register(TinyAdapter())
    assert redaction.redact_secrets(f"refused {TOKEN}") == "refused [redacted]"


def test_the_admin_lists_and_filters_connections_by_the_adapters_kinds_and_tiers(
    admin_client: Any, user: Any, tiny_adapter: TinyAdapter
) -> None:
    Connection.objects.create(owner=user, name="Tiny", kind="tinycrm", tier="large", token_encrypted="x")
    page = admin_client.get("/admin/connectors/connection/?kind=tinycrm")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Tiny CRM" in text and "Large" in text  # the adapter's labels, from its registration


def test_a_delivery_past_the_adapters_daily_limit_waits_for_the_next_day_instead_of_sending(
    api_client: APIClient, user: Any, tiny_crm: tuple[TinyCrm, str], tiny_adapter: TinyAdapter
) -> None:
    crm, base_url = tiny_crm
    crm.refuse_next_upsert = False
    # 90% of 20: 18 requests a day, the token check included; 40 records in batches of 7 need more.
    budget = CrmBudget(
        window_seconds=1.0, requests_per_window={"small": 40}, batch_limit=7, requests_per_day={"small": 20}
    )
    tiny_adapter.budget = budget  # the instance's own, undone with the fixture's adapter
    connection = connection_create(
        owner=user, name="Tiny", kind=tiny_adapter.kind, access_token=TOKEN, base_url=base_url
    )
    response = api_client.post("/api/simulations/", planned(connection.pk, total_records=40), format="json")
    assert response.status_code == 201, response.content
    run_until_idle()

    assert len(crm.requests) == 18  # never past the day, so the CRM never had to refuse
    simulation_id = response.json()["id"]
    assert Contact.objects.filter(simulation_id=simulation_id, sync_status="pending").exists()
    waiting = ScheduledJob.objects.filter(simulation_id=simulation_id, job_type=JobType.SYNC_CRM, status="pending")
    assert waiting.exists() and all(job.scheduled_for > timezone.now() + timedelta(hours=20) for job in waiting)
