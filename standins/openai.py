"""A local stand-in for OpenAI's chat completions endpoint, spoken over real HTTP.

Shipped with SimCRM so anyone can try the OpenAI path without a key::

    python manage.py openai_standin --port 8700
    OPENAI_API_KEY=anything OPENAI_BASE_URL=http://127.0.0.1:8700/v1 ./run

In-process (tests, the benchmark)::

    standin = OpenAIStandIn().start()
    settings.OPENAI_BASE_URL = standin.base_url          # http://127.0.0.1:<port>/v1
    standin.script([StandInReply.rate_limited(retry_after_ms=200), StandInReply.ok()])
    ...
    standin.requests                                       # [StandInRequest(body, headers, start, end, ...)]
    standin.stop()

As a process (for qcluster / run_due_jobs subprocesses)::

    python -m standins.openai --port 0 [--latency 1.0] [--log calls.jsonl] [--api-key KEY] [--fail-model M]
                              [--models gpt-6-luna,gpt-4o-mini]

prints the base URL (``http://127.0.0.1:<port>/v1``) on one line once listening, then serves until SIGTERM/SIGINT.
With ``--log`` every chat completion request is appended to the file as one JSON line when it
finishes (``{"seq", "pid", "path", "model", "body", "status", "behaviour", "start", "end",
"start_wall", "end_wall"}``; ``start``/``end`` are CLOCK_MONOTONIC, comparable across processes on
one host). A running stand-in can also be driven over HTTP: ``POST /_standin/script`` (a JSON list of
replies, see ``StandInReply.to_dict``), ``POST /_standin/latency`` (``{"seconds": 1}``), ``POST
/_standin/release``, ``POST /_standin/reset``, ``POST /_standin/models`` (``{"models": [...]}``), ``GET
/_standin/requests``.

Models, like OpenAI: ``GET /v1/models`` lists the models it serves (``--models``, default ``DEFAULT_MODELS``)
and ``GET /v1/models/{id}`` describes one; a chat completion for any other model answers 404
``model_not_found``. Reasoning models (gpt-5 and later, the o-series) refuse ``max_tokens`` and
``temperature``, and a ``reasoning_effort`` their family does not take, with OpenAI's 400; other models
refuse ``reasoning_effort``. Model look-ups are recorded in ``model_requests``, apart from ``requests``.

Default behaviour: answer with ``count`` valid personas (``count`` from the request's user JSON),
never reusing a name from its ``avoid_names``, with emails at a domain made from the theme; or, when
the request's JSON schema asks for ``{"companies": [...]}``, with ``count`` valid companies, none
named like ``avoid_names``, each at its own domain.
This module must not import Django: it runs standalone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self

from standins.server import StandInServer

_FIRST_NAMES = (
    "Ada",
    "Bruno",
    "Celia",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kaia",
    "Luca",
    "Maya",
    "Nico",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Amara",
    "Bodhi",
    "Clara",
    "Dario",
    "Esme",
    "Felix",
    "Gala",
    "Henrik",
    "Isla",
    "Jasper",
    "Kenji",
    "Lena",
    "Milo",
    "Nadia",
)
_LAST_NAMES = (
    "Abbott",
    "Baxter",
    "Castillo",
    "Dunmore",
    "Eriksen",
    "Fontaine",
    "Garrido",
    "Hollis",
    "Ibarra",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Sorensen",
    "Tanaka",
    "Ueda",
    "Varga",
    "Whitfield",
    "Xu",
    "Yilmaz",
    "Zeller",
    "Achebe",
    "Brandt",
    "Cortez",
    "Delacroix",
    "Engel",
    "Falk",
    "Gruber",
    "Haddad",
    "Iverson",
    "Jovanovic",
    "Kerr",
    "Lund",
    "Mbeki",
    "Novak",
)
_TITLES = ("Manager", "Director", "Coordinator", "Producer", "Strategist", "Lead", "Specialist", "Buyer")


_COMPANY_WORDS = ("Labs", "Works", "Group", "Partners", "Systems", "Studio", "Collective", "Holdings")
_HEADCOUNTS = (4, 12, 38, 85, 240, 760, 3100, 14000)
_TLDS = {"United States": "com", "Germany": "de", "United Kingdom": "co.uk", "France": "fr", "Canada": "ca"}


_PLACES = (
    ("Austin", "United States", "1"),
    ("Berlin", "Germany", "49"),
    ("Leeds", "United Kingdom", "44"),
    ("Lyon", "France", "33"),
    ("Toronto", "Canada", "1"),
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())[:30] or "example"


# What the stand-in serves unless told otherwise: OpenAI's small chat models of late 2026, reasoning
# (gpt-6-luna, gpt-5.6-luna, gpt-5.4-nano, gpt-5-nano) and not (gpt-4o-mini, gpt-4.1-mini). Not the
# seed's gpt-4.1-nano, which OpenAI shut down on 2026-10-23.
DEFAULT_MODELS = ("gpt-6-luna", "gpt-5.6-luna", "gpt-5.4-nano", "gpt-5-nano", "gpt-4o-mini", "gpt-4.1-mini")

# Reasoning models: GPT-5 and later, and the o-series (o1, o3, o4-mini ...), fine-tuned ones included.
_REASONING_MODEL = re.compile(r"^(ft:)?(gpt-[5-9]|o[0-9])")
# The reasoning_effort values a family takes, as OpenAI's model pages list them (November 2026); a
# reasoning model not listed here takes any value.
_EFFORTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^gpt-5(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?$"), ("minimal", "low", "medium", "high")),
    (re.compile(r"^gpt-5\.4"), ("none", "low", "medium", "high", "xhigh")),
    (re.compile(r"^(gpt-5\.6-|gpt-6-luna|gpt-6\.1-terra)"), ("none", "low", "medium", "high", "xhigh", "max")),
    (re.compile(r"^o[0-9]"), ("low", "medium", "high")),
)


def _shape_refusal(body: Any) -> StandInReply | None:
    """OpenAI's 400 for a request shape the model does not take, or None when it takes it."""
    if not isinstance(body, dict):
        return None
    model = str(body.get("model") or "")
    if not _REASONING_MODEL.match(model):
        if "reasoning_effort" in body:
            return _bad_parameter("reasoning_effort", "")
        return None
    if "max_tokens" in body:
        return _bad_parameter("max_tokens", " Use 'max_completion_tokens' instead.")
    if "temperature" in body:
        return _bad_parameter("temperature", "")
    effort = body.get("reasoning_effort")
    allowed = next((values for pattern, values in _EFFORTS if pattern.match(model.removeprefix("ft:"))), None)
    if effort is not None and allowed is not None and effort not in allowed:
        listed = ", ".join(f"'{value}'" for value in allowed[:-1]) + f", and '{allowed[-1]}'"
        return StandInReply.error(
            400,
            code="unsupported_value",
            param="reasoning_effort",
            error_type="invalid_request_error",
            message=f"Unsupported value: 'reasoning_effort' does not support {_quoted(effort)} with this model. "
            f"Supported values are: {listed}.",
        )
    return None


def _quoted(value: Any) -> str:
    return f"'{value}'"[:40] if isinstance(value, str) else json.dumps(value)[:40]


def _bad_parameter(param: str, hint: str) -> StandInReply:
    return StandInReply.error(
        400,
        code="unsupported_parameter",
        param=param,
        error_type="invalid_request_error",
        message=f"Unsupported parameter: '{param}' is not supported with this model.{hint}",
    )


@dataclass
class StandInReply:
    """One scripted behaviour for the next request (see the constructors below)."""

    kind: str = "ok"  # ok | error | malformed | json | refusal | hang
    status: int = 200
    code: str | None = None
    message: str | None = None
    error_type: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: str | None = None  # malformed: the raw message content; refusal: the model's refusal text
    payload: Any = None  # json: an object sent as the message content
    personas: list[dict[str, str]] | None = None  # ok: exact personas instead of generated ones
    companies: list[dict[str, Any]] | None = None  # ok: exact companies instead of generated ones
    count: int | None = None  # ok: how many to generate instead of the request's count
    latency: float | None = None  # added before this reply

    @classmethod
    def ok(
        cls,
        *,
        personas: list[dict[str, str]] | None = None,
        companies: list[dict[str, Any]] | None = None,
        count: int | None = None,
    ) -> StandInReply:
        return cls(kind="ok", personas=personas, companies=companies, count=count)

    @classmethod
    def error(
        cls,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        error_type: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> StandInReply:
        return cls(
            kind="error",
            status=status,
            code=code,
            message=message,
            error_type=error_type,
            param=param,
            headers=dict(headers or {}),
        )

    @classmethod
    def rate_limited(
        cls, *, retry_after_ms: int | None = 200, retry_after: float | None = None, code: str = "rate_limit_exceeded"
    ) -> StandInReply:
        headers: dict[str, str] = {}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        seconds = retry_after if retry_after is not None else (retry_after_ms / 1000 if retry_after_ms else None)
        if seconds is not None:
            headers["retry-after"] = str(max(1, round(seconds)))
        return cls.error(429, code=code, headers=headers)

    @classmethod
    def server_error(cls, status: int = 500) -> StandInReply:
        return cls.error(status, code=None, error_type="server_error")

    @classmethod
    def malformed(cls, content: str = "not json") -> StandInReply:
        return cls(kind="malformed", content=content)

    @classmethod
    def wrong_shape(cls, payload: Any) -> StandInReply:
        return cls(kind="json", payload=payload)

    @classmethod
    def refusal(cls, text: str) -> StandInReply:
        """A 200 whose message is a refusal (content null), as a model under a strict schema may answer."""
        return cls(kind="refusal", content=text)

    @classmethod
    def hang(cls) -> StandInReply:
        return cls(kind="hang")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StandInReply:
        return cls(**data)


_DEFAULT_MESSAGES = {
    400: ("Invalid schema for response_format 'persona_batch'.", "invalid_request_error"),
    401: (
        "Incorrect API key provided: {key}. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
    ),
    403: ("Country, region, or territory not supported", "request_forbidden"),
    404: ("The model `{model}` does not exist or you do not have access to it.", "invalid_request_error"),
    429: ("Rate limit reached for requests. Please try again in 200ms.", "requests"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error"),
}


@dataclass
class StandInRequest:
    """A recorded chat completion request."""

    seq: int
    path: str
    body: Any
    headers: dict[str, str]
    start: float  # time.monotonic()
    start_wall: float
    end: float | None = None
    end_wall: float | None = None
    status: int | None = None
    behaviour: str = "ok"

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def user_json(self) -> dict[str, Any]:
        """The user message's content, parsed (the persona request)."""
        return _user_json(self.body)

    @property
    def wants_texts(self) -> bool:
        """Whether the request's JSON schema asks for activity templates ({"subjects": [...], ...})."""
        try:
            schema = self.body["response_format"]["json_schema"]["schema"]
        except (KeyError, TypeError):
            return False
        return isinstance(schema, dict) and "middles" in (schema.get("properties") or {})

    @property
    def wants_companies(self) -> bool:
        """Whether the request's JSON schema asks for {"companies": [...]} rather than personas."""
        try:
            schema = self.body["response_format"]["json_schema"]["schema"]
        except (KeyError, TypeError):
            return False
        return isinstance(schema, dict) and "companies" in (schema.get("properties") or {})

    def to_log(self) -> dict[str, Any]:
        headers = {k: ("Bearer [redacted]" if k == "authorization" else v) for k, v in self.headers.items()}
        return {
            "seq": self.seq,
            "pid": os.getpid(),
            "path": self.path,
            "model": self.model,
            "body": self.body,
            "headers": headers,
            "status": self.status,
            "behaviour": self.behaviour,
            "start": self.start,
            "end": self.end,
            "start_wall": self.start_wall,
            "end_wall": self.end_wall,
        }


def _user_json(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            try:
                data = json.loads(message.get("content") or "")
            except (TypeError, ValueError):
                return {}
            return data if isinstance(data, dict) else {}
    return {}


_TEXT_OPENERS = (
    "Hi {first_name},",
    "{first_name} -",
    "Hello {first_name},",
    "Quick one, {first_name}:",
    "Hey,",
    "Morning,",
)
_TEXT_MIDDLES = (
    "Following up on our {activity} about {theme}: what does {company} need before {weekday}?",
    "Noted for {company}: {job_title} cares most about {pain}, less about price.",
    "Sent over the {product} overview; {first_name} wants numbers for a team of {team_size}.",
    "{company} is comparing two vendors. Our angle: {outcome}, set up in weeks.",
    "Talked through {deal} ({amount}); legal review is the next hurdle at {company}.",
    "{first_name} flagged {pain} again. Worth a short demo of {product} on {weekday}.",
    "Checked in on {company} ({city}): still keen, budget signs off next month.",
    "Recap for {company}: agreed scope, {outcome} as the goal, {rep} owns next steps.",
)
_TEXT_CLOSERS = ("Thanks, {rep}", "- {rep}", "Talk soon, {rep}", "Next step: {weekday}.", "Cheers", "Best, {rep}")
_TEXT_SUBJECTS = (
    "{company}: next steps",
    "Re: {product}",
    "Quick follow-up, {first_name}",
    "{deal} - where we are",
    "Notes from {weekday}",
    "{company} x {theme}",
)


def _texts(asked: dict[str, Any]) -> dict[str, list[str]]:
    """Templates as a model writes them for the asked moment: the slots it was given, and the theme's words
    as plain text (a brace it was not given never appears)."""
    slots = {str(slot) for slot in asked.get("slots") or []}
    words = {"theme": str(asked.get("theme") or "the project"), "activity": str(asked.get("activity") or "call")}

    def usable(template: str) -> str | None:
        for name, value in words.items():
            template = template.replace("{" + name + "}", value.replace("{", "(").replace("}", ")"))
        names = re.findall(r"\{([a-z_]+)\}", template)
        return template if all(name in slots for name in names) else None

    parts = {"subjects": _TEXT_SUBJECTS, "openers": _TEXT_OPENERS, "middles": _TEXT_MIDDLES, "closers": _TEXT_CLOSERS}
    return {part: [t for t in (usable(x) for x in templates) if t is not None] for part, templates in parts.items()}


def _model_object(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1700000000, "owned_by": "system"}


def _partial_key(key: str) -> str:
    return f"{key[:6]}***{key[-4:]}" if len(key) > 10 else "***"


class OpenAIStandIn(StandInServer):
    """A threaded HTTP server on 127.0.0.1 that answers POST {base}/chat/completions like OpenAI."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        api_key: str | None = None,
        log_path: str | Path | None = None,
        models: Iterable[str] | None = None,
    ) -> None:
        super().__init__(name="openai-standin", host=host, port=port)
        self.latency = latency
        self.api_key = api_key  # when set, any other bearer token gets a real-looking 401
        self.log_path = Path(log_path) if log_path else None
        self.requests: list[StandInRequest] = []
        self.model_requests: list[StandInRequest] = []  # GET /v1/models and /v1/models/{id}
        self._models: list[str] = list(DEFAULT_MODELS if models is None else models)
        self._script: deque[StandInReply] = deque()
        self._failing_models: set[str] = set()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._seq = 0
        self._names_written = 0
        self._companies_written = 0

    # -- control -------------------------------------------------------------------------------
    def start(self) -> Self:
        self._release.clear()
        return super().start()

    def stop(self) -> None:
        self._stopping.set()
        self._release.set()
        super().stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def script(self, replies: list[StandInReply]) -> None:
        """Queue one-shot behaviours; each request takes the next one, then the default resumes."""
        with self._lock:
            self._script.extend(replies)

    def fail_model(self, name: str) -> None:
        """Answer every request for model `name` with 404 model_not_found (and leave it out of the list)."""
        with self._lock:
            self._failing_models.add(name)

    def serve_models(self, names: Iterable[str]) -> None:
        """Serve exactly these models from now on: what GET /v1/models lists and chat completions accept."""
        with self._lock:
            self._models = list(names)

    @property
    def models(self) -> list[str]:
        """The models served now, as GET /v1/models lists them."""
        with self._lock:
            return self._served()

    def _served(self) -> list[str]:
        return [name for name in self._models if name not in self._failing_models]

    def release(self) -> None:
        """Let every hanging request go (they then get a default reply, if the client still listens)."""
        self._release.set()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.model_requests.clear()
            self._script.clear()
            self._failing_models.clear()
        self._release.clear()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.end is None)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.01)
        return len(self.requests) >= count

    # -- serving -------------------------------------------------------------------------------
    def _begin(self, path: str, body: Any, headers: dict[str, str]) -> tuple[StandInRequest, StandInReply]:
        with self._lock:
            self._seq += 1
            request = StandInRequest(
                seq=self._seq, path=path, body=body, headers=headers, start=time.monotonic(), start_wall=time.time()
            )
            self.requests.append(request)
            model = request.model or ""
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if self.api_key is not None and token != self.api_key:
                reply = StandInReply.error(401, code="invalid_api_key")
            elif model not in self._served():
                reply = StandInReply.error(404, code="model_not_found")
            elif (refusal := _shape_refusal(body)) is not None:
                reply = refusal
            elif self._script:
                reply = self._script.popleft()
            else:
                reply = StandInReply.ok()
        request.behaviour = reply.kind if reply.kind != "error" else f"error {reply.status}"
        return request, reply

    def _finish(self, request: StandInRequest, status: int) -> None:
        request.status = status
        request.end = time.monotonic()
        request.end_wall = time.time()
        if self.log_path is not None:
            line = json.dumps(request.to_log(), ensure_ascii=False)
            with self._lock, self.log_path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")

    def _personas(self, request: StandInRequest, reply: StandInReply) -> list[dict[str, str]]:
        if reply.personas is not None:
            return reply.personas
        asked = request.user_json
        count = reply.count if reply.count is not None else asked.get("count", 5)
        count = count if isinstance(count, int) and 0 <= count <= 500 else 5
        theme = str(asked.get("theme") or (asked.get("persona") or {}).get("title") or "example")
        industry = str(asked.get("industry") or "Business")
        avoid = {" ".join(str(name).split()).casefold() for name in asked.get("avoid_names") or []}
        domain = f"{_slug(theme)}.example.com"
        words = [word.capitalize() for word in re.findall(r"[A-Za-z]{3,}", theme)] or ["Example"]
        personas: list[dict[str, str]] = []
        with self._lock:
            start = self._names_written
            pairs = len(_FIRST_NAMES) * len(_LAST_NAMES)
            # Every (first, last) pair once, then again with double-barrelled surnames (65,600 names in
            # all): a model asked for thousands of people of one theme keeps inventing new ones.
            names = pairs * (len(_LAST_NAMES) + 1)
            index = start
            while len(personas) < count and index < start + names:
                first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
                last = _LAST_NAMES[(index // len(_FIRST_NAMES) + index) % len(_LAST_NAMES)]
                barrel = (index // pairs) % (len(_LAST_NAMES) + 1)
                if barrel:
                    last = f"{last}-{_LAST_NAMES[barrel - 1]}"
                index += 1
                if f"{first} {last}".casefold() in avoid:
                    continue
                avoid.add(f"{first} {last}".casefold())
                word = words[index % len(words)]
                city, country, calling_code = _PLACES[index % len(_PLACES)]
                persona = {
                    "firstname": first,
                    "lastname": last,
                    "email": f"{first.lower()}.{last.lower()}@{domain}",
                    "jobtitle": f"{word} {_TITLES[index % len(_TITLES)]}",
                    "company": f"{words[0]} {last} & Co.",
                    "industry": industry,
                    "phone": f"+{calling_code} 555 {index % 10000:04d}",
                    "city": city,
                    "country": country,
                }
                # Like the model under a strict schema: exactly the properties the request asks for.
                wanted = asked.get("properties")
                if isinstance(wanted, list) and wanted:
                    persona = {key: persona.get(key, "") for key in wanted if isinstance(key, str)}
                personas.append(persona)
            self._names_written = index
        return personas

    def _companies(self, request: StandInRequest, reply: StandInReply) -> list[dict[str, Any]]:
        if reply.companies is not None:
            return reply.companies
        asked = request.user_json
        count = reply.count if reply.count is not None else asked.get("count", 5)
        count = count if isinstance(count, int) and 0 <= count <= 500 else 5
        theme = str(asked.get("theme") or (asked.get("persona") or {}).get("title") or "example")
        industry = str(asked.get("industry") or "Business")
        avoid = {" ".join(str(name).split()).casefold() for name in asked.get("avoid_names") or []}
        brand = ([word.capitalize() for word in re.findall(r"[A-Za-z]{3,}", theme)] or ["Example"])[0]
        companies: list[dict[str, Any]] = []
        with self._lock:
            index = self._companies_written
            # Every (surname, word) pair once, then again with a number: names and domains never repeat.
            while len(companies) < count:
                last = _LAST_NAMES[index % len(_LAST_NAMES)]
                word = _COMPANY_WORDS[(index // len(_LAST_NAMES)) % len(_COMPANY_WORDS)]
                round_ = index // (len(_LAST_NAMES) * len(_COMPANY_WORDS))
                number = str(round_ + 1) if round_ else ""
                index += 1
                name = f"{brand} {last} {word} {number}".strip()
                if name.casefold() in avoid:
                    continue
                city, country, _ = _PLACES[index % len(_PLACES)]
                company: dict[str, Any] = {
                    "name": name,
                    "domain": f"{_slug(last + word)}{number}.{_TLDS[country]}",
                    "industry": industry,
                    "city": city,
                    "country": country,
                    "employees": _HEADCOUNTS[index % len(_HEADCOUNTS)],
                }
                wanted = asked.get("properties")
                if isinstance(wanted, list) and wanted:
                    company = {key: company.get(key, "") for key in wanted if isinstance(key, str)}
                companies.append(company)
            self._companies_written = index
        return companies

    def _completion(self, request: StandInRequest, content: str, refusal: str | None = None) -> dict[str, Any]:
        prompt_tokens = max(1, len(json.dumps(request.body)) // 4)
        completion_tokens = max(1, len(refusal or content) // 4)
        return {
            "id": f"chatcmpl-standin-{request.seq}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model or "unknown",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None if refusal else content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_standin",
        }

    def _error_body(self, request: StandInRequest, reply: StandInReply) -> dict[str, Any]:
        template, default_type = _DEFAULT_MESSAGES.get(reply.status, ("Stand-in error.", "server_error"))
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        message = reply.message or template.format(key=_partial_key(token), model=request.model)
        return {
            "error": {
                "message": message,
                "type": reply.error_type or default_type,
                "param": reply.param,
                "code": reply.code,
            }
        }

    def _answer(self, request: StandInRequest, reply: StandInReply) -> tuple[int, dict[str, str], bytes]:
        """Wait as the reply asks, then return (status, headers, body)."""
        if reply.kind == "hang":
            self._release.wait()
            reply = StandInReply.ok()
        delay = reply.latency if reply.latency is not None else (self.latency if reply.kind == "ok" else 0.0)
        if delay:
            self._stopping.wait(delay)
        headers = {"x-request-id": f"req_standin_{request.seq}", **reply.headers}
        if reply.kind == "error":
            return reply.status, headers, json.dumps(self._error_body(request, reply)).encode()
        if reply.kind == "refusal":
            completion = self._completion(request, "", refusal=reply.content or "I can't help with that.")
            return 200, headers, json.dumps(completion, ensure_ascii=False).encode()
        if reply.kind == "malformed":
            content = reply.content if reply.content is not None else "not json"
        elif reply.kind == "json":
            content = json.dumps(reply.payload)
        elif request.wants_texts:
            content = json.dumps(_texts(request.user_json), ensure_ascii=False)
        elif request.wants_companies:
            content = json.dumps({"companies": self._companies(request, reply)}, ensure_ascii=False)
        else:
            content = json.dumps({"personas": self._personas(request, reply)}, ensure_ascii=False)
        return 200, headers, json.dumps(self._completion(request, content), ensure_ascii=False).encode()

    def _models_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        """GET /v1/models (the list) or /v1/models/{id}, with the key check of a chat call."""
        lowered = {name.lower(): value for name, value in headers.items()}
        token = lowered.get("authorization", "").removeprefix("Bearer ").strip()
        model = path.rsplit("/models/", 1)[1] if "/models/" in path else None
        with self._lock:
            self._seq += 1
            request = StandInRequest(
                seq=self._seq, path=path, body=None, headers=headers, start=time.monotonic(), start_wall=time.time()
            )
            request.end = request.start
            self.model_requests.append(request)
            refused = self.api_key is not None and token != self.api_key
            served = self._served()
        if refused:
            return 401, {
                "error": {
                    "message": "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        if model is None:
            return 200, {"object": "list", "data": [_model_object(name) for name in served]}
        if model not in served:
            return 404, {
                "error": {
                    "message": f"The model `{model}` does not exist or you do not have access to it.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "model_not_found",
                }
            }
        return 200, _model_object(model)

    def _control(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path == "/_standin/requests":
            with self._lock:
                return 200, [request.to_log() for request in self.requests]
        if method == "POST" and path == "/_standin/script":
            self.script([StandInReply.from_dict(item) for item in body or []])
            return 200, {"queued": len(body or [])}
        if method == "POST" and path == "/_standin/latency":
            self.latency = float((body or {}).get("seconds", 0))
            return 200, {"latency": self.latency}
        if method == "POST" and path == "/_standin/release":
            self.release()
            return 200, {"released": True}
        if method == "POST" and path == "/_standin/models":
            self.serve_models(str(name) for name in (body or {}).get("models", []))
            return 200, {"models": self.models}
        if method == "POST" and path == "/_standin/fail_model":
            self.fail_model(str((body or {}).get("model", "")))
            return 200, {"ok": True}
        if method == "POST" and path == "/_standin/reset":
            self.reset()
            return 200, {"ok": True}
        return 404, {
            "error": {
                "message": f"Unknown stand-in path {path}",
                "type": "invalid_request_error",
                "param": None,
                "code": "unknown_url",
            }
        }


class _Handler(BaseHTTPRequestHandler):
    owner: OpenAIStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if ("/models/" in path or path.endswith("/models")) and not path.startswith("/_standin/"):
            status, payload = self.owner._models_get(path, dict(self.headers.items()))
        else:
            status, payload = self.owner._control("GET", self.path, None)
        self._send(status, json.dumps(payload).encode())

    def do_POST(self) -> None:
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        if path.startswith("/_standin/"):
            status, payload = self.owner._control("POST", path, body)
            self._send(status, json.dumps(payload).encode())
            return
        if not path.endswith("/chat/completions"):
            self._send(
                404,
                json.dumps(
                    {
                        "error": {
                            "message": f"Unknown URL {path}",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": "unknown_url",
                        }
                    }
                ).encode(),
            )
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        request, reply = self.owner._begin(path, body, headers)
        status = 0
        try:
            status, reply_headers, payload = self.owner._answer(request, reply)
            self._send(status, payload, reply_headers)
        except (BrokenPipeError, ConnectionResetError):
            status = 499  # the client gave up (timed out) before the answer
        finally:
            self.owner._finish(request, status)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency: float = 0.0,
    api_key: str | None = None,
    log_path: str | None = None,
    fail_models: list[str] | None = None,
    models: list[str] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT; print the base URL on one line once listening."""
    standin = OpenAIStandIn(host=host, port=port, latency=latency, api_key=api_key, log_path=log_path, models=models)
    for model in fail_models or []:
        standin.fail_model(model)
    standin.serve_until_stopped(lambda: f"{standin.base_url}\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every default reply")
    parser.add_argument("--log", default=None, help="append each request as a JSON line to this file")
    parser.add_argument("--api-key", default=None, help="answer 401 to any other bearer token")
    parser.add_argument("--fail-model", action="append", default=[], help="answer 404 model_not_found for it")
    parser.add_argument(
        "--models",
        type=_model_names,
        default=None,
        help=f"comma-separated models to serve (GET /v1/models); default {','.join(DEFAULT_MODELS)}",
    )


def _model_names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def serve_from_arguments(args: argparse.Namespace | dict[str, Any]) -> None:
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    serve(
        host=values["host"],
        port=values["port"],
        latency=values["latency"],
        api_key=values["api_key"],
        log_path=values["log"],
        fail_models=values["fail_model"],
        models=values.get("models"),
    )


OpenAIStandIn.handler = _Handler  # defined after the stand-in whose requests it answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local stand-in for OpenAI chat completions.")
    add_arguments(parser)
    serve_from_arguments(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
