"""A base URL on this machine that nothing answers on: the local server is not running.

"Check DNS, proxy, firewall and TLS on this network" is the wrong advice for
`make check-sim` without `make simulate`: no network is involved. When every failure
of a `network_error` is a refused connection to a loopback base URL, the next step
says so, with the address, and names the simulator. The outcome stays
`network_error`. Pure: it reads the configuration's URLs and the cycle's result.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..models import NETWORK_ERROR, SKIPPED, CheckResult

NOTHING_ANSWERS = "Nothing answers on"
# httpx's ConnectError for a refused connection (its wording, and the OS's).
_REFUSED = ("ConnectError",)


def loopback_address(url: str) -> str | None:
    """'127.0.0.1:8765' when `url` names this machine, else None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return None
    if not local:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _refused(text: str | None) -> bool:
    return bool(text) and any(word in str(text) for word in _REFUSED)


def loopback_step(result: CheckResult, status_page_url: str, api_base_url: str) -> str | None:
    """The next step when nothing answers on a loopback base URL, or None."""
    if result.verdict.verdict != NETWORK_ERROR:
        return None
    silent: list[str] = []
    page = result.status_page
    if not page.reachable:
        address = loopback_address(status_page_url)
        if address is None or not _refused(page.error):
            return None
        silent.append(address)
    for canary in result.canaries:
        if canary.outcome == SKIPPED:
            continue
        address = loopback_address(api_base_url)
        if canary.outcome != NETWORK_ERROR or address is None:
            return None
        if not _refused(canary.error_type):
            return None
        silent.append(address)
    if not silent:
        return None
    where = " and ".join(dict.fromkeys(silent))
    return (
        f"{NOTHING_ANSWERS} {where}: the local server there is not running. For the "
        "simulator, start it with `make simulate` (in another terminal), then check again."
    )
