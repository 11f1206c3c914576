"""The next step of an alert of its own (a Bedrock path's, a fleet region's silence),
which the API's verdict does not give: that verdict may be operational, and its step
"Nothing to do" would read as the all-clear while the alert is open."""

from __future__ import annotations


def bedrock_step(alert: str) -> str:
    """While a Bedrock path's own alert is open: failover to that path would not work."""
    model = alert.split(":", 1)[1]
    return (
        f"Do not fail over to Amazon Bedrock for {model}: check the model's access, "
        f"quotas and Region in Bedrock; a RESOLVED follows when it answers again."
    )


def region_step(alert: str) -> str:
    """While a fleet's region is silent: the monitor there, not Claude, is at fault."""
    region = alert.split(":", 1)[1]
    return (
        f"Check the monitor in {region} (its function's errors and logs, its heartbeat "
        f"alarm); the fleet votes without it meanwhile, and a RESOLVED follows when it "
        f"reports again."
    )


def own_step(alert: str) -> str | None:
    """The step of an alert of its own that is open, or None for the overall alert."""
    if alert.startswith("bedrock:"):
        return bedrock_step(alert)
    if alert.startswith("region:"):
        return region_step(alert)
    return None
