"""An incremental Server-Sent Events decoder (WHATWG rules), total over any bytes.

Feed it chunks as they arrive; it yields complete events. Lines may end in CRLF, LF
or CR, a chunk may split a line or a multi-byte character anywhere, comments
(lines starting with ':') are skipped, and data lines may be padded with spaces.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    event: str
    data: str


class SSEDecoder:
    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> Iterator[Event]:
        self._pending += self._text.decode(chunk)
        yield from self._drain(final=False)

    def close(self) -> Iterator[Event]:
        """End of stream: a trailing event without its blank line is still dispatched."""
        self._pending += self._text.decode(b"", final=True)
        yield from self._drain(final=True)
        if self._data or self._event:
            event = self._dispatch()
            if event:
                yield event

    def _drain(self, final: bool) -> Iterator[Event]:
        while True:
            cut = _line_end(self._pending, final)
            if cut is None:
                return
            line, self._pending = self._pending[: cut[0]], self._pending[cut[1] :]
            event = self._line(line)
            if event:
                yield event

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value.strip()
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> Event | None:
        event = Event(self._event or "message", "\n".join(self._data)) if self._data else None
        self._event, self._data = "", []
        return event


def _line_end(text: str, final: bool) -> tuple[int, int] | None:
    """Index of the first line ending and where the next line starts, if complete."""
    lf, cr = text.find("\n"), text.find("\r")
    if cr != -1 and (lf == -1 or cr < lf):
        if cr + 1 < len(text):
            return cr, cr + 2 if text[cr + 1] == "\n" else cr + 1
        # A CR at the end of a chunk may be half of a CRLF: wait for more.
        return (cr, cr + 1) if final else None
    if lf != -1:
        return lf, lf + 1
    return (len(text), len(text)) if final and text else None
