"""What the persona side of a run will cost, told before the run: calls, tokens and dollars."""

import math
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from personas.models import CachedPersona, PersonaSource
from personas.services import persona_cache_key, persona_provider_name


@dataclass(frozen=True)
class PersonaForecast:
    provider: str
    model: str | None
    persona_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None  # None when the model's price is not in SIMCRM_MODEL_PRICES

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def persona_forecast(*, theme: str, industry: str, records: int) -> PersonaForecast:
    """Provider calls to write `records` people for this theme and industry, counting those already cached.

    Tokens per call come from this pool's own history when it has one, else from typical figures
    (SIMCRM_FORECAST_TOKENS_PER_CALL); prices per million tokens from SIMCRM_MODEL_PRICES.
    """
    source = persona_provider_name()
    if source == PersonaSource.OFFLINE:
        return PersonaForecast(source, None, 0, 0, 0, 0.0)
    pool = (
        CachedPersona.objects.filter(cache_key=persona_cache_key(theme=theme, industry=industry), source=source)
        .only("persona_data", "generation_calls", "prompt_tokens", "completion_tokens")
        .first()
    )
    cached = len(pool.personas) if pool is not None else 0
    calls = math.ceil(max(records - cached, 0) / settings.SIMCRM_PERSONA_POOL_SIZE)
    prompt_per_call: float = settings.SIMCRM_FORECAST_TOKENS_PER_CALL[0]
    completion_per_call: float = settings.SIMCRM_FORECAST_TOKENS_PER_CALL[1]
    if pool is not None and pool.generation_calls:
        prompt_per_call = pool.prompt_tokens / pool.generation_calls
        completion_per_call = pool.completion_tokens / pool.generation_calls
    prompt, completion = round(calls * prompt_per_call), round(calls * completion_per_call)
    price = settings.SIMCRM_MODEL_PRICES.get(settings.OPENAI_MODEL)
    cost = round((prompt * price[0] + completion * price[1]) / 1_000_000, 6) if price else None
    return PersonaForecast(source, settings.OPENAI_MODEL, calls, prompt, completion, cost)
