"""The data the check cycle passes around: plain dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Canary outcomes, as the contract names them.
OK = "ok"
SLOW = "slow"
SKIPPED = "skipped"
CLIENT_OUTCOMES = frozenset(
    {
        "auth_error",
        "permission_error",
        "model_not_found",
        "invalid_request",
        "request_too_large",
        "spend_limit",
    }
)
RATE_LIMITED = "rate_limited"
# The stream was fine but the answer to the check's question was not (answer.py):
# a platform failure, never retried.
WRONG_ANSWER = "wrong_answer"
# A canary's `answer_check` when its answers were judged (observe/answer.py).
ANSWER_PASSED = "passed"
ANSWER_WRONG = "wrong"
PLATFORM_OUTCOMES = frozenset(
    {"server_error", "overloaded", "timeout", "stream_error", "bad_response", WRONG_ANSWER}
)
NETWORK_ERROR = "network_error"
# Something other than Anthropic answered in the API's place (proxy, captive portal,
# firewall): the network path, not the platform.
INTERCEPTED = "intercepted"
NETWORK_OUTCOMES = frozenset({NETWORK_ERROR, INTERCEPTED})
RETRYABLE_OUTCOMES = frozenset(
    {"server_error", "overloaded", "timeout", "network_error", "stream_error"}
)
ALL_OUTCOMES = (
    frozenset({OK, SLOW, SKIPPED, RATE_LIMITED, NETWORK_ERROR, INTERCEPTED})
    | CLIENT_OUTCOMES
    | PLATFORM_OUTCOMES
)

# Statuspage's documented component statuses.
COMPONENT_STATUSES = frozenset(
    {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
)

# Verdict -> severity -> exit status.
SEVERITY = {
    "operational": "ok",
    "degraded": "warning",
    "maintenance": "warning",
    "rate_limited": "warning",
    "outage": "critical",
    "unconfirmed_outage": "critical",
    "client_error": "critical",
    "network_error": "unknown",
}
EXIT_CODE = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


@dataclass
class Incident:
    id: str
    name: str
    status: str
    impact: str
    shortlink: str | None
    components: list[str]
    created_at: str | None
    latest_update: str | None = None
    # When the impact began, as Anthropic dates it (may be earlier than created_at).
    started_at: str | None = None
    # The monitored models (or "api") whose failure this incident confirms, by its
    # components or by its text.
    confirms: list[str] = field(default_factory=list)


@dataclass
class StatusPage:
    reachable: bool
    error: str | None = None
    indicator: str | None = None
    description: str | None = None
    api_status: str | None = None
    components: list[dict[str, str]] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    maintenances: list[Incident] = field(default_factory=list)
    # Derived while parsing, against API_COMPONENTS; not part of the JSON contract.
    api_incident: bool = False
    api_maintenance: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("api_incident")
        data.pop("api_maintenance")
        return data


@dataclass
class CanaryResult:
    model: str
    outcome: str
    http_status: int | None = None
    error_type: str | None = None
    request_id: str | None = None
    attempts: int = 0
    latency_ms: int | None = None
    ttft_ms: int | None = None
    retry_after_s: float | None = None
    ratelimit: dict[str, int] = field(default_factory=dict)
    detail: str | None = None
    stop_reason: str | None = None
    # Independent requests (each with its own retries) sent for this model this cycle.
    samples: int = 1
    # Every HTTP request this cycle, first tries and retries alike, and how many of
    # them failed with a platform error: the error-rate window's raw counts.
    requests: int = 0
    failed_requests: int = 0
    # The model's sliding window after this cycle: {"cycles", "requests", "failed"}.
    window: dict[str, Any] | None = None
    # The answer check (answer.py): "passed", "wrong", "inconclusive: ...",
    # "skipped: ..." or None (not due this cycle, or no stream to judge); what was
    # expected and what came back (one line, at most 80 characters, redacted), and
    # how many of this cycle's samples were judged and how many were wrong.
    answer_check: str | None = None
    answer_expected: str | None = None
    answer_got: str | None = None
    answers_checked: int = 0
    answers_wrong: int = 0
    # The answer said `x-should-retry: false`; internal, not part of the JSON.
    no_retry: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("no_retry")
        return data

    @property
    def headroom(self) -> float | None:
        """Remaining share of the tightest rate limit the API reported, 0..1."""
        shares = []
        for kind in ("requests", "tokens", "input_tokens", "output_tokens"):
            limit = self.ratelimit.get(f"{kind}_limit")
            remaining = self.ratelimit.get(f"{kind}_remaining")
            if limit and remaining is not None and limit > 0:
                shares.append(max(0.0, min(1.0, remaining / limit)))
        return min(shares) if shares else None


@dataclass
class Verdict:
    verdict: str
    summary: str
    # A next step more precise than the verdict's usual one (e.g. a proxy answered,
    # or no request was made); None means NEXT_STEP[verdict].
    next_step: str | None = None
    # A severity other than the verdict's usual one: a fleet's `network_error` from a
    # minority of its regions is a warning (decide/vote.py). None: SEVERITY[verdict].
    severity_as: str | None = None

    @property
    def severity(self) -> str:
        return self.severity_as or SEVERITY[self.verdict]


@dataclass
class Transition:
    target: str
    from_: str
    to: str

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "from": self.from_, "to": self.to}


@dataclass
class Notification:
    id: str
    subject: str
    sms: str
    email: str
    severity: str
    verdict: str
    # Amazon Q's custom notification (chat.chat_message) and the webhook body
    # (chat.webhook_body), as JSON text: composed with the rest when the notification
    # is committed, so a re-send carries what was committed. Empty: not composed.
    chat: str = ""
    webhook: str = ""
    # The alert it is about, which opens and closes on its own: "overall" (empty in
    # what an older version committed) or "bedrock:<model>". Its webhook dedup key.
    alert: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class CheckResult:
    checked_at: str
    verdict: Verdict
    status_page: StatusPage
    canaries: list[CanaryResult]
    region: str = "local"
    transitions: list[Transition] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    lead_time_min: float | None = None
    # The lead time in full when measured this cycle: minutes, our first failure, the
    # confirming incident, its created_at (posted) and started_at (impact dated from).
    lead: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    # The key could not be read (SSM): the canaries were skipped for want of it, not
    # by choice. Published as the ApiKeyUnavailable metric, whose alarm wakes people.
    key_unavailable: bool = False
    # The store's key for this cycle: the scheduled time of the event that started it
    # (so a duplicate delivery is recognised); locally, with milliseconds.
    cycle_id: str = ""
    # Quiet hours and mutes, as the plan found them: inside quiet hours, how many
    # notifications are held, the active mute's end and reason.
    quiet: bool = False
    held: int = 0
    muted_until: str | None = None
    mute_reason: str | None = None
    # The Bedrock failover probe (BEDROCK_MODELS), one result per mapped model; the
    # verdict never reads it. `failover`: model -> next step from both paths.
    bedrock: list[CanaryResult] = field(default_factory=list)
    failover: dict[str, str] = field(default_factory=dict)
    # The overall alert still open in the store after this cycle (decide/hold.py):
    # reported, since, reason, good_cycles_to_close, why; None when none is open or
    # not looked up (the command line fills it, the Lambda does not).
    open_alert: dict[str, Any] | None = None
    # A fleet's home (FLEET_REGIONS): each region's view of this minute, side by side
    # (decide/vote.py RegionView.to_dict, plus `reported` and `last_seen`). Empty for
    # a single region, and then left out of the JSON.
    regions: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cycle_id = self.cycle_id or self.checked_at

    @property
    def exit_code(self) -> int:
        return EXIT_CODE[self.verdict.severity]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "verdict": self.verdict.verdict,
            "severity": self.verdict.severity,
            "summary": self.verdict.summary,
            "region": self.region,
            "status_page": self.status_page.to_dict(),
            "canaries": [c.to_dict() for c in self.canaries],
            "transitions": [t.to_dict() for t in self.transitions],
            "notifications": [n.to_dict() for n in self.notifications],
            "lead_time_min": self.lead_time_min,
            "lead": self.lead,
            "errors": list(self.errors),
            "quiet": self.quiet,
            "held": self.held,
            "muted_until": self.muted_until,
            "mute_reason": self.mute_reason,
            "bedrock": [b.to_dict() for b in self.bedrock],
            "failover": dict(self.failover),
            "open_alert": self.open_alert,
            **({"regions": [dict(r) for r in self.regions]} if self.regions else {}),
        }


@dataclass
class BedrockResult(CanaryResult):
    """A canary result for the Bedrock path; `model` is the monitored model's name."""

    # The Bedrock model or inference-profile id that was called.
    model_id: str = ""
    # Tokens Bedrock billed for this request: {"input_tokens", "output_tokens"}.
    usage: dict[str, int] = field(default_factory=dict)
