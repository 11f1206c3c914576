"""What the Amazon Bedrock failover probe costs (`cost`): prices with their sources."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..observe.bedrock import MAX_TOKENS
from ..values import split_model_id

PRICES = Path(__file__).with_name("bedrock_prices.json")
# anthropic.claude-haiku-4-5-20251001-v1:0 -> claude-haiku-4-5
_FAMILY = re.compile(r"^anthropic\.(?P<family>claude-[a-z0-9-]+?)(?:-\d{8})?(?:-v\d+)?(?::\d+)?$")


# -- cost -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _prices() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PRICES.read_text())
    return data


def bedrock_price_per_mtok(model_id: str) -> tuple[float, float]:
    """(input, output) USD per million tokens for a Bedrock model or profile id."""
    geo, base = split_model_id(model_id)
    match = _FAMILY.match(base)
    family = match.group("family") if match else base
    prices = _prices()
    entry = prices["models_per_mtok"].get(family)
    if entry is None:
        raise ValueError(f"no Bedrock price for {family!r} in {PRICES.name}")
    factor = 1.0
    if geo != "global" and entry.get("regional_premium"):
        # In-Region and geographic (us., eu., ...) endpoints cost more than global.
        factor += float(prices["regional_premium"])
    return float(entry["input"]) * factor, float(entry["output"]) * factor


def _tokenizer_factor(model_id: str) -> float:
    match = _FAMILY.match(split_model_id(model_id)[1])
    entry = _prices()["models_per_mtok"].get(match.group("family") if match else "", {})
    return float(entry.get("tokenizer_factor", 1.0))


def bedrock_token_cost_usd(
    model_id: str, input_tokens: int, output_tokens: int, cycles: float
) -> float:
    """List-price cost of `cycles` probes of `model_id`, each with the given tokens."""
    price_in, price_out = bedrock_price_per_mtok(model_id)
    # The 5.x tokenizer counts the same prompt as more tokens there too (as cost.py does
    # for the API canary); max_tokens caps the output.
    tokens_in = input_tokens * _tokenizer_factor(model_id)
    per_probe = (tokens_in * price_in + output_tokens * price_out) / 1_000_000
    return per_probe * cycles


def bedrock_cost_lines(
    model_ids: Mapping[str, str], runs: float, input_tokens: int
) -> list[dict[str, Any]]:
    """One cost line per mapped model, in `cost.Item`'s fields (add `region=`)."""
    lines = []
    for model, model_id in model_ids.items():
        per_run = bedrock_token_cost_usd(model_id, input_tokens, MAX_TOKENS, 1)
        tokens_in = round(input_tokens * _tokenizer_factor(model_id), 1)
        lines.append(
            {
                "name": f"Bedrock tokens {model} via {model_id} "
                f"({tokens_in:g} in, {MAX_TOKENS} out)",
                "quantity": runs,
                "unit": "requests",
                "unit_usd": per_run,
                "usd": runs * per_run,
            }
        )
    return lines
