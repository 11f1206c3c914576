"""Failover advice: whether Claude answers on Amazon Bedrock while the API does not.

The verdict never reads Bedrock; its results become their own targets
(`bedrock:<model>`) and a failover step on the verdict's next step. Pure functions.
"""

from __future__ import annotations

from ..models import (
    CLIENT_OUTCOMES,
    OK,
    RATE_LIMITED,
    SKIPPED,
    SLOW,
    CanaryResult,
    CheckResult,
)

# -- what to do next ------------------------------------------------------------------

FAIL_OVER = "Claude answers on Amazon Bedrock right now: fail over there"
FAILING_EVERYWHERE = (
    "the model is failing everywhere: a model-level problem, not Anthropic's API alone"
)
BEDROCK_ONLY = (
    "Amazon Bedrock is failing for this model while Anthropic's API answers: "
    "failover to Bedrock would not work right now"
)
BEDROCK_UNUSABLE = "Amazon Bedrock cannot be used for failover either ({outcome}): check its access"


def bedrock_target(model: str) -> str:
    """The alert target of one model's Bedrock path, beside `canary:<model>`."""
    return f"bedrock:{model}"


def bedrock_observations(results: list[CanaryResult]) -> dict[str, tuple[str, str]]:
    """target -> (observed outcome, the good value), to merge into the cycle's observations.

    Recorded and shown like any target; only `overall` wakes people, so a Bedrock
    transition wakes nobody unless the integration asks for it.
    """
    return {bedrock_target(r.model): (r.outcome, OK) for r in results if r.outcome != SKIPPED}


def failover_steps(canaries: list[CanaryResult], bedrock: list[CanaryResult]) -> dict[str, str]:
    """model -> next step, for every model probed on both paths that has one.

    The API path is failing for a model when its canary neither passed nor was skipped.
    """
    api = {c.model: c for c in canaries}
    steps: dict[str, str] = {}
    for result in bedrock:
        canary = api.get(result.model)
        if canary is None or canary.outcome == SKIPPED or result.outcome == SKIPPED:
            continue
        passes = result.outcome in (OK, SLOW)
        advice = failover_advice(
            canary.outcome not in (OK, SLOW), passes, None if passes else result.outcome
        )
        if advice:
            steps[result.model] = advice
    return steps


def annotate(result: CheckResult) -> None:
    """Put the failover step into the result: `failover`, the summary and the next step.

    The verdict itself is left as `decide` made it (call this after every decide).
    With the API failing, the failover step comes first in the next step (its first
    sentence is what an SMS carries); with only Bedrock failing, the summary gets a
    note and the verdict's own next step stands.
    """
    steps = failover_steps(result.canaries, result.bedrock)
    result.failover = steps
    if not steps:
        return
    verdict = result.verdict
    api = {m: s for m, s in steps.items() if s != BEDROCK_ONLY}
    if api:
        text = _joined(api)
        from .verdict import next_step

        verdict.summary += f"; {text}"
        verdict.next_step = f"{text}. {next_step(verdict)}"
    noted = {m: s for m, s in steps.items() if s == BEDROCK_ONLY}
    if noted:
        verdict.summary += f"; note: {_joined(noted)}"


def failover_sentence(steps: dict[str, str]) -> str:
    """The failover sentence `annotate` puts first in the next step (the API failing),
    from a result's `failover` (model -> step); empty when there is none."""
    api = {str(m): str(s) for m, s in steps.items() if s != BEDROCK_ONLY}
    return _joined(api) if api else ""


def _joined(steps: dict[str, str]) -> str:
    """One step said once when every model shares it, else each model's own."""
    if len(set(steps.values())) == 1:
        text = next(iter(steps.values()))
        return text if len(steps) == 1 else f"{text} ({', '.join(steps)})"
    return "; ".join(f"{model}: {step}" for model, step in steps.items())


def bedrock_ok(results: list[CanaryResult]) -> bool | None:
    """True: every Bedrock probe answered; False: one failed; None: no Bedrock path."""
    if not results:
        return None
    return all(r.outcome in (OK, SLOW) for r in results)


def failover_advice(
    api_failing: bool, bedrock_ok: bool | None, bedrock_outcome: str | None = None
) -> str | None:
    """The next step, from the two paths (the verdict itself is left unchanged).

    | API     | Bedrock | advice                       |
    | failing | passes  | fail over to Bedrock         |
    | failing | failing | failing everywhere           |
    | passes  | failing | a note about Bedrock         |
    | any     | none    | None (no Bedrock configured) |

    With `bedrock_outcome` given, a Bedrock failure that is the caller's own (access,
    throttling) is not read as evidence that the model itself is down.
    """
    if bedrock_ok is None:
        return None
    if api_failing and bedrock_ok:
        return FAIL_OVER
    if api_failing:
        if bedrock_outcome in CLIENT_OUTCOMES or bedrock_outcome == RATE_LIMITED:
            return BEDROCK_UNUSABLE.format(outcome=bedrock_outcome)
        return FAILING_EVERYWHERE
    if not bedrock_ok:
        return BEDROCK_ONLY
    return None
