"""What the persona side of a run will cost, told before the run: calls, tokens and dollars."""

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from personas.errors import PersonaError
from personas.models import CachedPersona, PersonaSource, PoolKind
from personas.openai_models import openai_model_resolve
from personas.services import persona_cache_key, persona_provider_name


@dataclass(frozen=True)
class PersonaForecast:
    provider: str
    model: str | None  # the model the calls would go to; None offline, or when OpenAI serves none
    persona_calls: int
    activity_text_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None  # None when the model's price is not in SIMCRM_MODEL_PRICES

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def persona_forecast(
    *, theme: str, industry: str, records: int, companies: int = 0, text_moments: Iterable[str] = ()
) -> PersonaForecast:
    """Provider calls to write `records` people and `companies` companies for this theme and industry, and the
    activity texts of `text_moments` (a call each), counting those already cached.

    Tokens per call come from each pool's own history when it has one, else from typical figures
    (SIMCRM_FORECAST_TOKENS_PER_CALL); prices per million tokens from SIMCRM_MODEL_PRICES. With
    OPENAI_MODEL=auto it may list the key's models (at most once a minute); it never asks for a completion.
    """
    source = persona_provider_name()
    if source == PersonaSource.OFFLINE:
        return PersonaForecast(source, None, 0, 0, 0, 0, 0.0)
    key = persona_cache_key(theme=theme, industry=industry)
    calls, prompt, completion = 0, 0, 0
    for kind, wanted in ((PoolKind.CONTACT, records), (PoolKind.COMPANY, companies)):
        kind_calls, kind_prompt, kind_completion = _pool_forecast(key, source, kind, wanted)
        calls, prompt, completion = calls + kind_calls, prompt + kind_prompt, completion + kind_completion
    text_calls, text_prompt, text_completion = _texts_forecast(key, source, set(text_moments))
    prompt, completion = prompt + text_prompt, completion + text_completion
    model = _model()
    price = settings.SIMCRM_MODEL_PRICES.get(model) if model else None
    cost = round((prompt * price[0] + completion * price[1]) / 1_000_000, 6) if price else None
    return PersonaForecast(source, model, calls, text_calls, prompt, completion, cost)


def _model() -> str | None:
    # A preview still answers when OpenAI cannot be asked; the status banner says why.
    try:
        return openai_model_resolve()
    except PersonaError:
        return None


# Tokens of one call that writes a moment's activity texts, until the theme's text pool has a history.
TEXT_TOKENS_PER_CALL = (450, 900)


def _texts_forecast(key: str, source: str, moments: set[str]) -> tuple[int, int, int]:
    """(calls, prompt tokens, completion tokens) to write the texts of the moments the theme has none for."""
    if not moments:
        return 0, 0, 0
    pool = CachedPersona.objects.filter(cache_key=key, source=source, kind=PoolKind.TEXTS).first()
    written = set(pool.pool_entries.values_list("name_key", flat=True)) if pool is not None else set()
    calls = len(moments - written)
    prompt_per_call, completion_per_call = TEXT_TOKENS_PER_CALL
    if pool is not None and pool.generation_calls:
        prompt_per_call = round(pool.prompt_tokens / pool.generation_calls)
        completion_per_call = round(pool.completion_tokens / pool.generation_calls)
    return calls, calls * prompt_per_call, calls * completion_per_call


def _pool_forecast(key: str, source: str, kind: str, wanted: int) -> tuple[int, int, int]:
    """(calls, prompt tokens, completion tokens) to grow one pool to `wanted` entries."""
    if wanted <= 0:
        return 0, 0, 0
    pool = (
        CachedPersona.objects.filter(cache_key=key, source=source, kind=kind)
        .only("size", "generation_calls", "prompt_tokens", "completion_tokens")
        .first()
    )
    cached = pool.size if pool is not None else 0
    calls = math.ceil(max(wanted - cached, 0) / settings.SIMCRM_PERSONA_POOL_SIZE)
    prompt_per_call: float = settings.SIMCRM_FORECAST_TOKENS_PER_CALL[0]
    completion_per_call: float = settings.SIMCRM_FORECAST_TOKENS_PER_CALL[1]
    if pool is not None and pool.generation_calls:
        prompt_per_call = pool.prompt_tokens / pool.generation_calls
        completion_per_call = pool.completion_tokens / pool.generation_calls
    return calls, round(calls * prompt_per_call), round(calls * completion_per_call)
