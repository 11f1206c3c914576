"""The SSE decoder: chunk boundaries, line endings, padding, comments; never raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.observe.sse import Event, SSEDecoder

STREAM = (
    b": keep-alive comment\r\n"
    b'event: message_start\r\ndata: {"type":"message_start"}\r\n\r\n'
    b'event: ping\ndata:    {"type": "ping"}\n\n'
    b'event: content_block_delta\rdata: {"type":"content_block_delta","t":"\xc3\xa9"}\r\r'
    b"data: line one\ndata: line two\n\n"
    b'event: message_stop\ndata: {"type":"message_stop"}'
)
EXPECTED = [
    Event("message_start", '{"type":"message_start"}'),
    Event("ping", '   {"type": "ping"}'),
    Event("content_block_delta", '{"type":"content_block_delta","t":"é"}'),
    Event("message", "line one\nline two"),
    Event("message_stop", '{"type":"message_stop"}'),
]


def decode(chunks):
    decoder = SSEDecoder()
    events = []
    for chunk in chunks:
        events += list(decoder.feed(chunk))
    return events + list(decoder.close())


def test_given_a_whole_stream_then_every_event_is_decoded():
    assert decode([STREAM]) == EXPECTED


def test_given_the_stream_split_at_every_byte_then_the_events_are_the_same():
    for cut in range(1, len(STREAM)):
        assert decode([STREAM[:cut], STREAM[cut:]]) == EXPECTED, cut


def test_given_byte_by_byte_delivery_then_the_events_are_the_same():
    assert decode([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


def test_given_a_trailing_event_without_blank_line_then_close_dispatches_it():
    assert decode([b"event: error\ndata: {}"]) == [Event("error", "{}")]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=8))
def test_property_any_bytes_in_any_chunks_never_raise(chunks):
    for event in decode(chunks):
        assert isinstance(event.event, str) and isinstance(event.data, str)
