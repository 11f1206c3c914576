"""The Messages API's wire format as the simulator writes it: SSE events, messages, bombs."""

from __future__ import annotations

import json
import zlib
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 200 KiB of gzip that inflates to 200 MiB of zeros (built once, in slices)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(200)]
    return b"".join(parts) + packer.flush()


@lru_cache(maxsize=1)
def stream_bomb() -> bytes:
    """A gzip SSE stream: a real message_start, then a line of zeros that never ends."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    start = message_body("claude-bomb", "")
    start.update(content=[], stop_reason=None)
    head = packer.compress(sse_event("message_start", {"type": "message_start", "message": start}))
    zeros = bytes(1024 * 1024)
    parts = [head, packer.compress(b"data: ")] + [packer.compress(zeros) for _ in range(200)]
    return b"".join(parts) + packer.flush()


def sse_event(kind: str, data: dict[str, Any], pad: str = "") -> bytes:
    return f"event: {kind}\ndata: {pad}{json.dumps(data)}\n\n".encode()


def message_body(model: str, text: str = "OK") -> dict[str, Any]:
    return {
        "id": "msg_sim01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }


def text_delta(index: int, text: str) -> list[bytes]:
    """The text's one delta; none for an empty text (the block stays empty)."""
    delta = {"type": "content_block_delta", "index": index}
    event = {**delta, "delta": {"type": "text_delta", "text": text}}
    return [sse_event("content_block_delta", event)] if text else []


def thinking_block() -> list[bytes]:
    """Adaptive thinking: a thinking block (its deltas and signature) before the text.
    https://docs.claude.com/en/docs/build-with-claude/extended-thinking (streaming)."""
    return [
        sse_event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
        ),
        sse_event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "A greeting; answer briefly."},
            },
        ),
        sse_event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA"},
            },
        ),
        sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
