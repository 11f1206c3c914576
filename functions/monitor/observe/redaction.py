"""Keep the API key out of anything that leaves the process, in every form it may take.

Upstream answers (a proxy, a gateway, a misbehaving edge) can reflect the key back
into a body, a header or an error type, and not always verbatim: JSON- or
repr-escaped, URL-encoded, split by a newline or other whitespace, or cut short.
`Redactor` replaces:
- the key's literal, JSON-escaped, repr-escaped and URL-encoded forms;
- any run of at least 12 consecutive characters of the key (or the whole key when
  it is shorter), found while skipping whitespace, zero-width characters, backslash
  escapes (`\\n`, `\\u200b`, `\\x0a`) and percent-escapes (`%0A`) inside the run.
Over-redaction is harmless; a leak is not.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, quote_plus

MARK = "[redacted]"
MIN_RUN = 12
# Characters and escape sequences skipped while matching (never part of a key).
_SKIP = re.compile(
    r"\s|[\u200b-\u200d\u2060\ufeff]|\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[nrtfvb0])|%[0-9a-fA-F]{2}"
)


def _core(secret: str) -> str:
    """The key without the characters matching skips (whitespace, zero-width)."""
    return _SKIP.sub("", secret)


class Redactor:
    def __init__(self, secret: str | None) -> None:
        self._forms: list[str] = []
        self._grams: frozenset[str] = frozenset()
        self._n = MIN_RUN
        if not secret:
            return
        forms = {
            secret,
            secret.strip(),
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            repr(secret)[1:-1],
            quote(secret, safe=""),
            quote_plus(secret, safe=""),
        }
        self._forms = sorted((f for f in forms if f), key=len, reverse=True)
        core = _core(secret)
        self._n = min(MIN_RUN, len(core)) if core else MIN_RUN
        if core:
            self._grams = frozenset(core[i : i + self._n] for i in range(len(core) - self._n + 1))

    def __call__(self, text: str) -> str:
        if not self._forms or not text:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, MARK)
        return self._runs(text) if self._grams else text

    def _runs(self, text: str) -> str:
        # Project the text onto the characters that can be part of a key, keeping
        # where each came from, then mark every n-gram of the key found there.
        kept: list[int] = []
        pos = 0
        for match in _SKIP.finditer(text):
            kept.extend(range(pos, match.start()))
            pos = match.end()
        kept.extend(range(pos, len(text)))
        projected = "".join(text[i] for i in kept)
        n = self._n
        spans: list[tuple[int, int]] = []
        for i in range(len(projected) - n + 1):
            if projected[i : i + n] in self._grams:
                start, end = kept[i], kept[i + n - 1] + 1
                if spans and start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
                else:
                    spans.append((start, end))
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out += [text[last:start], MARK]
            last = end
        out.append(text[last:])
        return "".join(out)


def redact(text: str, secret: str | None) -> str:
    """Remove the key, in any of its forms, from text that may leave the process."""
    return Redactor(secret)(text)
