"""Text from outside (the status page, an API answer) made safe for chat markdown.

Amazon Q renders a custom notification's `client-markdown` as Slack mrkdwn or Teams
markdown, where an incident named `<!channel> <https://evil.example|Rotate your key>`
would ping a whole channel behind a link that hides where it goes. Everything that
came from outside goes through `inert`; links go only to the status page's host.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

# Where a message links to: the status page's own host only.
DEFAULT_PAGE_URL = "https://status.claude.com"


# Slack's mrkdwn and Teams' markdown read these as markup: `<!channel>` pings a whole
# channel, `<url|text>` and `[text](url)` are links that hide where they go, and `*~`
# format (an underscore inside a word, as in rate_limited, formats nothing). Slack
# asks for &, < and > as HTML entities
# (https://api.slack.com/reference/surfaces/formatting#escaping); the rest become
# look-alikes that no renderer reads as markup.
_MARKUP = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "*": "∗",
        "~": "∼",
        "`": "'",
        "[": "(",
        "]": ")",
        "|": "/",
    }
)
_URL = re.compile(r"\b(https?)://([^\s/]+)(\S*)", re.IGNORECASE)


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def inert(text: Any, page_url: str = DEFAULT_PAGE_URL) -> str:
    """Text from outside (the status page, an API answer) made inert for chat markdown:
    no mention, no formatting, and no link except to the status page's own host
    (another host's URL is defanged: hxxps://evil[.]example/...)."""
    own = _host(page_url)

    def defang(match: re.Match[str]) -> str:
        scheme, host, rest = match.groups()
        if host.lower() == own:
            return match.group(0)
        return f"hxx{scheme[3:]}://{host.replace('.', '(.)')}{rest}"

    return _URL.sub(defang, " ".join(str(text).split()).translate(_MARKUP))


def code_span(text: Any) -> str:
    """A value shown in a code span: nothing in it may close the span."""
    return " ".join(str(text).split()).replace("`", "'")


def incident_link(incident: dict[str, Any], page_url: str = DEFAULT_PAGE_URL) -> str | None:
    """A link to the incident on the status page's own host: its shortlink when it is
    there, else the page's /incidents/<id>; None when neither is safe."""
    link = incident.get("shortlink")
    if isinstance(link, str) and _host(link) == _host(page_url) and " " not in link:
        return link
    incident_id = str(incident.get("id") or "")
    if re.fullmatch(r"[A-Za-z0-9]{1,40}", incident_id):
        return f"{page_url.rstrip('/')}/incidents/{incident_id}"
    return None
