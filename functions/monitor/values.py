"""Parsers for the values settings hold: quiet hours and Amazon Bedrock model ids.

The bottom layer with models.py: config.py uses them at start, and the CDK app
(infra/) at synth, so a value is judged by one rule in both places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# Quiet hours (QUIET_HOURS)

_QUIET = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A daily UTC window, [start, end), in minutes after midnight; may wrap midnight."""

    start_min: int
    end_min: int

    def contains(self, now: datetime) -> bool:
        if now.tzinfo is None:
            raise ValueError("time must be timezone-aware (UTC)")
        now = now.astimezone(UTC)
        minute = now.hour * 60 + now.minute
        if self.start_min < self.end_min:
            return self.start_min <= minute < self.end_min
        return minute >= self.start_min or minute < self.end_min

    def label(self) -> str:
        def hhmm(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        return f"{hhmm(self.start_min)}-{hhmm(self.end_min)} UTC"


def parse_quiet(spec: str, setting: str = "quiet") -> QuietHours:
    """'22-07' (UTC hours) or '22:00-07:00'. A one-line ValueError naming the setting."""
    match = _QUIET.match(spec or "")
    if not match:
        raise ValueError(
            f"{setting}: expected UTC hours like 22-07 or 22:00-07:00, got {spec!r}"[:200]
        )
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{setting}: hours must be 0-23 and minutes 0-59, got {spec!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"{setting}: start and end are the same ({spec!r}); nothing to hold")
    return QuietHours(start, end)


# Amazon Bedrock model ids (BEDROCK_MODELS)


# A system (cross-Region) inference profile id is "<geo>.<model id>": us., eu., apac.,
# jp., au., ca., us-gov., global. A foundation-model id is "<provider>.<name>".
_MODEL_ID = re.compile(
    r"^(?:(?P<geo>[a-z]{2,6}(?:-gov)?)\.)?(?P<base>anthropic\.[a-z0-9][a-z0-9-]*(?::\d+)?)$"
)


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """(geo prefix or None, foundation-model id) of a Bedrock model or profile id."""
    match = _MODEL_ID.match(model_id)
    if not match:
        raise ValueError(
            f"{model_id!r} is not an Anthropic model id on Bedrock "
            "(like anthropic.claude-haiku-4-5-20251001-v1:0, or with a us./eu./global. prefix)"
        )
    return match.group("geo"), match.group("base")


# A geographic profile is called from a source Region of its geography; from any other
# Region Bedrock answers "model identifier is invalid", every cycle. Prefixes not
# listed here (and global.) are not checked.
# Source Regions each geographic profile may be called from. Anthropic's region table
# for Claude in Amazon Bedrock lists ca-central-1 under "Global, US": a `us.` profile
# is callable from there too
# (https://platform.claude.com/docs/en/build-with-claude/claude-in-amazon-bedrock, Regions).
_GEO_REGIONS = {
    "us": ("us-", "ca-central-1"),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-",),
    "au": ("ap-",),
    "ca": ("ca-",),
}


def region_problem(model_id: str, region: str) -> str | None:
    """Why `model_id` cannot be called from `region`, or None (unknown cases pass)."""
    geo, _ = split_model_id(model_id)
    prefixes = _GEO_REGIONS.get(geo or "")
    if not prefixes or not region:
        return None
    fits = region.startswith(prefixes) and (geo == "us-gov" or not region.startswith("us-gov-"))
    if fits:
        return None
    return (
        f"{model_id!r} is a {geo}. inference profile, which cannot be called from {region}; "
        "use the profile of this Region's geography (or global.)"
    )


def parse_bedrock_models(raw: str | None, monitored: tuple[str, ...]) -> dict[str, str]:
    """BEDROCK_MODELS ("model=bedrock-id,...") -> {monitored model: Bedrock id}.

    Empty or unset means no Bedrock path. A model that is not in CANARY_MODELS is an
    error, not ignored: the failover advice pairs each Bedrock result with the API
    canary of the same model, so an unpaired entry would be a probe nobody reads.
    """
    if raw is None or not raw.strip():
        return {}
    mapping: dict[str, str] = {}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        model, sep, model_id = (text.strip() for text in entry.partition("="))
        if not sep or not model or not model_id:
            raise ValueError(
                f"BEDROCK_MODELS entries must look like model=bedrock-model-id, got {entry!r}"
            )
        if model not in monitored:
            raise ValueError(
                f"BEDROCK_MODELS maps {model!r}, which is not in CANARY_MODELS "
                f"({', '.join(monitored)})"
            )
        if model in mapping:
            raise ValueError(f"BEDROCK_MODELS maps {model!r} twice")
        try:
            split_model_id(model_id)
        except ValueError as exc:
            raise ValueError(f"BEDROCK_MODELS: {exc}") from None
        mapping[model] = model_id
    return mapping
