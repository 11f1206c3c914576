"""The answer check: one question whose right answer is known, and how it is judged.

A stream can be well formed and still say the wrong thing: in August and September
2025 three Anthropic bugs answered HTTP 200 for weeks while degrading the text, one
of them putting Thai or Chinese characters into English replies ("A postmortem of
three recent issues", https://www.anthropic.com/engineering/a-postmortem-of-three-recent-issues).
So, every ANSWER_CHECK_EVERY cycles, the canary's samples ask the seed runbook's
own question, "Reply with OK", and the text that comes back is judged here.

Matching rules (a healthy model passes every time; docs/REFERENCE.md):
- the text of the stream's text blocks, joined (thinking blocks are not the answer);
- Unicode NFKC (full-width "ＯＫ" is "OK"), surrounding white space, quotes, back
  ticks and asterisks removed, then trailing `.`, `!` or `。`, then case folded;
- it passes when what is left is exactly "ok": "OK", "OK.", "ok", " OK\\n", "**OK**".
Anything else is `wrong_answer`, with why: empty, truncated (stopped at max_tokens
before "OK"), letters outside the Latin script (the prompt's), or a different text.
One case is no evidence either way, so it is not judged: a thinking block that used
all of max_tokens before any text (adaptive thinking decides per request).

Models whose thinking cannot be turned off or bounded are never asked: Claude Opus
5.5 and Claude Fable 5.1 think on every request, a request that disables thinking or
gives it a budget is rejected with 400, and effort (low at best) only makes thinking
less likely, not absent (https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5,
https://platform.claude.com/docs/en/build-with-claude/effort). Thinking tokens count
toward max_tokens (https://platform.claude.com/docs/en/models/haiku-5-5/whats-new-haiku-5-5),
so no few-token max_tokens makes their check cheap and reliable: it is skipped, and
the JSON says so (`answer_check: "skipped: ..."`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..models import ANSWER_PASSED, ANSWER_WRONG

CHECK_PROMPT = "Reply with OK"
EXPECTED = "OK"
# "OK" is one token in both tokenizers: enough for the answer and nothing more, as
# the plain canary's one token. A longer answer ("OK.", "Sure, ...") is cut here, and
# a cut answer that already says "OK" passes, so the check costs only its longer
# question: about 2 input tokens a request (cli/cost.py). Two checked samples a cycle
# (CANARY_SAMPLES) are what lets a 10% share of wrong answers warn within 30 min.
CHECK_MAX_TOKENS = 1
# What is kept of the answer while the stream is read, and what is shown of it.
MAX_KEPT = 400
SHOWN = 80
ALWAYS_THINKING = frozenset({"claude-opus-5-5", "claude-fable-5-1"})
SKIP_THINKING = (
    "skipped: adaptive thinking is always on for this model and no setting bounds it, "
    "so a few-token answer is not reliable"
)
SKIP_OFF = "skipped: ANSWER_CHECK_EVERY=0"

PASSED = ANSWER_PASSED
WRONG = ANSWER_WRONG
INCONCLUSIVE = "inconclusive: thinking used all of max_tokens before any text"
_WRAPPERS = " \t\r\n\"'`*“”‘’"
_TRAILING = ".!。"


def normalise(text: str) -> str:
    """The answer as the rules compare it (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).strip(_WRAPPERS)
    return text.rstrip(_TRAILING).strip(_WRAPPERS).casefold()


def _foreign_letters(text: str) -> bool:
    """Letters outside the Latin script, the prompt's (digits and signs are not letters)."""
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return True
    return False


def judge(text: str, stop_reason: str | None, thought: bool) -> tuple[str, str | None]:
    """(PASSED | WRONG | INCONCLUSIVE, why it is wrong)."""
    if normalise(text) == EXPECTED.casefold():
        return PASSED, None
    if not text.strip():
        if thought and stop_reason == "max_tokens":
            return INCONCLUSIVE, None
        return WRONG, "empty answer"
    if _foreign_letters(text):
        return WRONG, "letters outside the prompt's Latin script"
    if stop_reason == "max_tokens" and EXPECTED.casefold().startswith(normalise(text)):
        return WRONG, "answer truncated"
    return WRONG, "a different answer"


def text_of(message: Mapping[str, Any]) -> tuple[str, bool]:
    """A complete message's text blocks joined (capped), and whether it holds a
    thinking block."""
    blocks = [b for b in message.get("content") or [] if isinstance(b, dict)]
    text = "".join(
        b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)
    )
    return text[:MAX_KEPT], any(b.get("type") in ("thinking", "redacted_thinking") for b in blocks)


def judge_into(result: Any, text: str, thought: bool, redactor: Any) -> str | None:
    """Judge a check's answer into `result` (a CanaryResult whose stop reason is set);
    the detail when it is wrong. The answer is redacted whole, then cut to what is
    shown."""
    verdict, why = judge(text, result.stop_reason, thought)
    result.answer_check, result.answer_expected = verdict, EXPECTED
    result.answer_got = shown(redactor(text))
    if verdict == INCONCLUSIVE:
        return None
    result.answers_checked = 1
    if verdict == PASSED:
        return None
    result.answers_wrong = 1
    return f"{why}: expected {EXPECTED!r}, got {result.answer_got!r}"


def shown(text: str) -> str:
    """The answer as the JSON, the store and the message show it: printable, one line,
    at most SHOWN characters (the caller redacts it)."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    flat = " ".join(flat.split()) if flat.strip() else ""
    return flat if len(flat) <= SHOWN else flat[: SHOWN - 1] + "…"


def checks_for(state: Any, config: Any) -> dict[str, str]:
    """What each model's canary does about its answer this cycle: "check", "" (not
    due this cycle) or "skipped: why". Due when the state's cycle counter is a
    multiple of ANSWER_CHECK_EVERY (0: never)."""
    every = int(getattr(config, "answer_check_every", 1))
    cycle_no = getattr(state, "cycle_no", 0)
    cycle_no = cycle_no if isinstance(cycle_no, int) else 0
    return {model: plan_one(model, every, cycle_no) for model in config.canary_models}


def minute_count(scheduled: datetime | None) -> int:
    """The cycle counter of a region that keeps no state (a fleet's, not the home):
    minutes since the epoch of its scheduled time, so that it checks every
    ANSWER_CHECK_EVERY-th cycle too, not every one (cycle 0 of a fresh state)."""
    return int((scheduled or datetime.now(UTC)).timestamp() // 60)


def plan_one(model: str, every: int, cycle_no: int = 0) -> str:
    if every <= 0:
        return SKIP_OFF
    if model in ALWAYS_THINKING:
        return SKIP_THINKING
    return "check" if cycle_no % every == 0 else ""


def default_checks(config: Any) -> dict[str, str]:
    """Without a cycle counter (a probe on its own): as on cycle 0."""
    return checks_for(None, config)


def wanted(checks: Mapping[str, str] | None, model: str) -> bool:
    return (checks or {}).get(model) == "check"


# "Reply with OK" is 3 input tokens where the canary's "Hi" is 1 (before the 5.x
# tokenizer factor); its output is at most CHECK_MAX_TOKENS where the canary's is 1.
CHECK_EXTRA_INPUT_TOKENS = 2


def cost_lines(
    prices: Mapping[str, Any],
    models: tuple[str, ...],
    requests: float,
    every: int,
    plain_max_tokens: int,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The check's added cost per model over the plain canary, in `cost.Item`'s fields
    (add `region=`): every checked request (all of a check cycle's samples, `requests`
    a month in all) pays the longer question and up to CHECK_MAX_TOKENS out, an upper
    bound (`plain_max_tokens`: the plain canary's). And the models whose check is
    skipped, with why."""
    lines, skipped = [], {}
    for model in models:
        plan = plan_one(model, every)
        if plan != "check":
            skipped[model] = plan
            continue
        price = prices[model]
        extra_in = CHECK_EXTRA_INPUT_TOKENS * price.get("tokenizer_factor", 1.0)
        extra_out = CHECK_MAX_TOKENS - plain_max_tokens
        per_request = (extra_in * price["input"] + extra_out * price["output"]) / 1e6
        checked = requests / every
        lines.append(
            {
                "name": f"Answer check {model} (+{extra_in:g} in, +{extra_out} out, "
                f"every {every} cycle{'s' if every != 1 else ''})",
                "quantity": checked,
                "unit": "requests",
                "unit_usd": per_request,
                "usd": checked * per_request,
            }
        )
    return lines, skipped
