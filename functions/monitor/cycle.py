"""The check cycle: probe, then (issue 3) store, hysteresis and notify."""

from __future__ import annotations

import asyncio

from .config import Config
from .models import CheckResult
from .probe import probe


def run_local_check(config: Config) -> CheckResult:
    return asyncio.run(probe(config, config.api_key))
