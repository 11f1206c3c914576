"""Capped reading on decompressed bytes: every coding, every chunking, bombs and junk."""

import asyncio
import gzip
import zlib

import pytest

from functions.monitor.observe.bounded import BodyTooLarge, BodyUnreadable, read_bounded

DATA = b'{"status": "ok"}' * 500


class Answer:
    """Just what the reader touches of an httpx response: headers and raw chunks."""

    def __init__(self, raw: bytes, encoding: str | None = None, chunk: int = 7):
        self.headers = {"content-encoding": encoding} if encoding else {}
        self._raw, self._chunk = raw, chunk

    async def aiter_raw(self):
        for i in range(0, len(self._raw), self._chunk):
            yield self._raw[i : i + self._chunk]


def read(answer, limit=1 << 20):
    return asyncio.run(read_bounded(answer, limit))


def raw_deflate(data):
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (DATA, None),
        (DATA, "identity"),
        (gzip.compress(DATA), "gzip"),
        (gzip.compress(DATA), "x-gzip"),
        (gzip.compress(DATA), "GZIP"),
        (zlib.compress(DATA), "deflate"),
        (raw_deflate(DATA), "deflate"),  # raw deflate, as some servers send it
    ],
)
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_given_each_supported_coding_in_any_chunking_then_the_body_is_decoded(raw, encoding, chunk):
    assert read(Answer(raw, encoding, chunk)) == DATA


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_given_a_body_one_byte_over_the_cap_then_it_is_refused(encoding):
    body = b"x" * 1001
    raw = gzip.compress(body) if encoding else body
    with pytest.raises(BodyTooLarge, match="larger than"):
        read(Answer(raw, encoding, 64), limit=1000)
    assert read(Answer(raw, encoding, 64), limit=1001) == body


def test_given_a_gzip_bomb_in_one_chunk_then_it_stops_at_the_cap():
    bomb = gzip.compress(bytes(50 * 1024 * 1024))
    with pytest.raises(BodyTooLarge):
        read(Answer(bomb, "gzip", chunk=len(bomb)), limit=1 << 20)


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (b"\x1f\x8bnot really gzip", "gzip"),
        (b"not deflate at all", "deflate"),
        (DATA, "br"),
        (DATA, "zstd"),
        (gzip.compress(gzip.compress(DATA)), "gzip, gzip"),
    ],
)
def test_given_junk_or_an_unsupported_coding_then_the_body_is_unreadable(raw, encoding):
    with pytest.raises(BodyUnreadable):
        read(Answer(raw, encoding))
