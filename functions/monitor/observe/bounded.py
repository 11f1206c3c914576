"""Read an HTTP body with a cap on its DECOMPRESSED size, as it streams.

httpx's own decoder inflates a whole raw chunk at once, so a 64 KiB chunk of a gzip
bomb becomes some 64 MiB in one step before any cap can look at it. Here the raw
bytes (`aiter_raw`) are inflated with zlib's `max_length`, a slice at a time, so the
memory held never exceeds the cap plus one slice, whatever the compression ratio.

Only `gzip` and `deflate` are decoded (the requests say so in `accept-encoding`);
any other content-coding (br, zstd, several layered) is refused as unreadable.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

# What we ask for: the codings decoded here, and nothing httpx might add (br, zstd).
ACCEPT_ENCODING = "gzip, deflate"
_SLICE = 64 * 1024


class BodyTooLarge(Exception):
    """The decompressed body passed the cap."""


class BodyUnreadable(Exception):
    """The body's content-coding is unsupported or its compressed data is corrupt."""


class _Inflater:
    def __init__(self, coding: str) -> None:
        self.coding = coding
        # gzip: wbits 31. deflate: zlib-wrapped per RFC 9110, but some servers send
        # raw deflate; try the wrapper first and fall back, as browsers and httpx do.
        self._obj = zlib.decompressobj(31 if coding == "gzip" else 15)
        # While deciding (the zlib header is 2 bytes), keep what was fed to replay it.
        self._seen: bytes | None = b"" if coding == "deflate" else None

    def feed(self, data: bytes, room: int) -> tuple[bytes, bytes]:
        """Inflate up to `room` bytes of output; return (output, unconsumed input)."""
        try:
            out = self._obj.decompress(data, room)
        except zlib.error:
            if self._seen is None:
                raise
            data, self._seen = self._seen + data, None
            self._obj = zlib.decompressobj(-15)
            out = self._obj.decompress(data, room)
        if self._seen is not None:
            self._seen += data[: len(data) - len(self._obj.unconsumed_tail)]
            if len(self._seen) >= 2:
                self._seen = None  # the header checked out: zlib-wrapped
        return out, self._obj.unconsumed_tail


def _coding(headers: Any) -> str | None:
    """The single content-coding to undo, '' for none; None when it is unsupported."""
    raw = (headers.get("content-encoding") or "").lower()
    codings = [c.strip() for c in raw.split(",") if c.strip() and c.strip() != "identity"]
    if not codings:
        return ""
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return "deflate" if codings[0] == "deflate" else "gzip"
    return None


async def iter_bounded(response: Any, limit: int) -> AsyncIterator[bytes]:
    """Yield the decoded body in slices; raise BodyTooLarge past `limit` decoded bytes."""
    coding = _coding(response.headers)
    if coding is None:
        raise BodyUnreadable(
            f"unsupported content-encoding {response.headers.get('content-encoding')!r}"
        )
    inflater = _Inflater(coding) if coding else None
    total = 0
    async for raw in response.aiter_raw():
        pending = raw
        while pending:
            if inflater is None:
                out, pending = pending, b""
            else:
                try:
                    out, pending = inflater.feed(pending, min(_SLICE, limit - total + 1))
                except zlib.error as exc:
                    raise BodyUnreadable(f"corrupt {coding} body: {exc}") from None
                if not out and pending:
                    # No progress with input left: corrupt or a zero-size slice.
                    raise BodyUnreadable(f"corrupt {coding} body")
            total += len(out)
            if total > limit:
                raise BodyTooLarge(f"body is larger than {_size(limit)}")
            if out:
                yield out


async def read_bounded(response: Any, limit: int) -> bytes:
    """The whole decoded body, or BodyTooLarge / BodyUnreadable."""
    body = bytearray()
    async for chunk in iter_bounded(response, limit):
        body += chunk
    return bytes(body)


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB"
