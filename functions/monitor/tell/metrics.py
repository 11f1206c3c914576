"""CloudWatch metrics through the embedded metric format (EMF): no CloudWatch API calls.

Each custom metric (name + dimensions) costs money every month, prorated by the
hours it is published. So there are few dimensions (only `model`; the region is
an EMF property, since every region has its own CloudWatch), and two kinds of
metric:
- always published, one value per cycle: `Heartbeat`, and per model
  `CanaryLatency` and `CanaryTTFT` (the canary's success shows as latency);
- published only in the cycles where they say something, so they cost next to
  nothing in a healthy month: per model `CanaryFailed` (1 when the canary did not
  succeed; success rate = 1 - failures / heartbeats) and `RateLimitHeadroom`
  (when under half); `Severity` (when not ok), `StatusPageApiDown` (when the API
  component is not operational), `DetectionLeadTime` (when measured),
  `StatusPageUnreadable` (1 when the page could not be read), and per model
  `CanaryErrorRate` (the error-rate window's failure share, 0..1, only while the
  window holds a failure). Alarms on
  these treat missing data as not breaching; the heartbeat's alarm treats it as
  breaching, so a silent monitor is never read as a healthy one.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..models import CheckResult

NAMESPACE_DEFAULT = "ClaudeStatus"
SERVICE = "claude-status"
HEADROOM_REPORT_BELOW = 0.5
SEVERITY_VALUE = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
ALWAYS_PER_MODEL = ("CanaryLatency", "CanaryTTFT")
ALWAYS_GLOBAL = ("Heartbeat",)
SPARSE_GLOBAL = (
    "Severity",
    "StatusPageApiDown",
    "DetectionLeadTime",
    "StatusPageUnreadable",
    "ApiKeyUnavailable",
)
SPARSE_PER_MODEL = ("CanaryFailed", "RateLimitHeadroom", "CanaryErrorRate")


class MetricsSink(Protocol):
    def emit(self, result: CheckResult) -> None: ...


def datapoints(result: CheckResult) -> list[tuple[str | None, str, float, str]]:
    """(model or None, metric name, value, unit) for one cycle. Pure, for tests and EMF."""
    points: list[tuple[str | None, str, float, str]] = [(None, "Heartbeat", 1, "Count")]
    severity = SEVERITY_VALUE[result.verdict.severity]
    if severity:
        points.append((None, "Severity", severity, "None"))
    page = result.status_page
    if page.reachable and (page.api_status != "operational" or page.api_incident):
        points.append((None, "StatusPageApiDown", 1, "Count"))
    if not page.reachable:
        points.append((None, "StatusPageUnreadable", 1, "Count"))
    if result.key_unavailable:
        points.append((None, "ApiKeyUnavailable", 1, "Count"))
    if result.lead_time_min is not None:
        points.append((None, "DetectionLeadTime", result.lead_time_min, "None"))
    for c in result.canaries:
        if c.outcome == "skipped":
            continue
        if c.outcome not in ("ok", "slow"):
            points.append((c.model, "CanaryFailed", 1, "Count"))
        if c.latency_ms is not None:
            points.append((c.model, "CanaryLatency", c.latency_ms, "Milliseconds"))
        if c.ttft_ms is not None:
            points.append((c.model, "CanaryTTFT", c.ttft_ms, "Milliseconds"))
        if c.window and c.window.get("failed") and c.window.get("requests"):
            share = c.window["failed"] / c.window["requests"]
            points.append((c.model, "CanaryErrorRate", round(share, 4), "None"))
        headroom = c.headroom
        if headroom is not None and headroom < HEADROOM_REPORT_BELOW:
            points.append((c.model, "RateLimitHeadroom", round(headroom, 4), "None"))
    return points


class NullMetrics:
    """Locally: metrics would only clutter stdout, which `check --json` owns."""

    def emit(self, result: CheckResult) -> None:
        return None


class EmfMetrics:
    """Powertools Metrics, flushed as one EMF document per dimension set."""

    def __init__(self, namespace: str = NAMESPACE_DEFAULT, region: str | None = None) -> None:
        """`region`: a fleet's `Region` dimension on every metric (README "Several
        regions"); None for a single region, whose metrics stay as they were."""
        from aws_lambda_powertools import Metrics

        self.metrics = Metrics(namespace=namespace, service=SERVICE)
        self.region = region

    def emit(self, result: CheckResult) -> None:
        by_model: dict[str | None, list[tuple[str, float, str]]] = {}
        for model, name, value, unit in datapoints(result):
            by_model.setdefault(model, []).append((name, value, unit))
        for model, points in by_model.items():
            if self.region:
                self.metrics.add_dimension(name="Region", value=self.region)
            if model is not None:
                self.metrics.add_dimension(name="model", value=model)
            self.metrics.add_metadata(key="region", value=result.region)
            for name, value, unit in points:
                # Powertools takes CloudWatch's unit names as strings ("Count", "None", ...).
                self.metrics.add_metric(name=name, unit=unit, value=value)
            self.metrics.flush_metrics()


def counts(models: int) -> dict[str, Any]:
    """How many custom metrics a deployment publishes, for the cost model."""
    return {
        "always": len(ALWAYS_GLOBAL) + len(ALWAYS_PER_MODEL) * models,
        "sparse": len(SPARSE_GLOBAL) + len(SPARSE_PER_MODEL) * models,
    }
