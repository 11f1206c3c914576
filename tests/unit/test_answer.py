"""The answer check's matching rules and plan: pure functions, no I/O."""

import json
from types import SimpleNamespace

import pytest

from functions.monitor.config import Config
from functions.monitor.observe import answer
from functions.monitor.observe.canary import _StreamState, request_body
from functions.monitor.observe.sse import Event


@pytest.mark.parametrize(
    "text",
    ["OK", "OK.", "ok", " OK\n", "Ok!", "**OK**", '"OK"', "`OK`", "ＯＫ", "OK。", "\tok.\n"],
)
def test_given_a_healthy_answer_in_any_usual_form_then_it_passes(text):
    # Given "OK" as models write it, when judged, then it passes whatever the stop reason
    for stop in ("end_turn", "max_tokens"):
        assert answer.judge(text, stop, thought=False) == (answer.PASSED, None)


@pytest.mark.parametrize(
    ("text", "stop", "why"),
    [
        ("", "end_turn", "empty answer"),
        ("   \n", "end_turn", "empty answer"),
        ("好的", "end_turn", "letters outside the prompt's Latin script"),
        ("ОК", "end_turn", "letters outside the prompt's Latin script"),  # Cyrillic
        ("OKสวัสดี", "end_turn", "letters outside the prompt's Latin script"),
        ("O", "max_tokens", "answer truncated"),
        ("Sure! How can I help you today?", "end_turn", "a different answer"),
        ("NO", "end_turn", "a different answer"),
        ("OK OK", "end_turn", "a different answer"),
        ("okay", "end_turn", "a different answer"),
    ],
)
def test_given_a_wrong_answer_then_it_is_wrong_and_says_why(text, stop, why):
    assert answer.judge(text, stop, thought=False) == (answer.WRONG, why)


def test_given_thinking_that_used_all_of_max_tokens_then_the_check_is_inconclusive():
    # Given a thinking block first and no text before max_tokens, when judged
    verdict, why = answer.judge("", "max_tokens", thought=True)
    # Then it is no evidence either way; an empty answer that ended its turn still is
    assert (verdict, why) == (answer.INCONCLUSIVE, None)
    assert answer.judge("", "end_turn", thought=True)[0] == answer.WRONG


def test_what_is_shown_is_one_printable_line_of_at_most_80_characters():
    shown = answer.shown("line one\nline\ttwo\x00" + "x" * 200)
    assert "\n" not in shown and "\x00" not in shown and len(shown) == answer.SHOWN
    assert shown.startswith("line one line two") and shown.endswith("…")
    assert answer.shown("") == ""


def test_given_every_cycle_then_every_model_but_the_always_thinking_ones_checks():
    # Given the default ANSWER_CHECK_EVERY (1) and models of both kinds
    config = Config(canary_models=("claude-haiku-5-5", "claude-opus-5-5", "claude-fable-5-1"))
    # When the plan is made for any cycle
    plan = answer.checks_for(SimpleNamespace(cycle_no=7), config)
    # Then the default model checks; the two whose thinking cannot be bounded are skipped
    assert plan["claude-haiku-5-5"] == "check"
    assert plan["claude-opus-5-5"].startswith("skipped: adaptive thinking is always on")
    assert plan["claude-fable-5-1"] == plan["claude-opus-5-5"]


@pytest.mark.parametrize(("cycle_no", "due"), [(0, True), (1, False), (4, False), (5, True)])
def test_given_every_fifth_cycle_then_only_multiples_of_five_check(cycle_no, due):
    config = Config(answer_check_every=5)
    plan = answer.checks_for(SimpleNamespace(cycle_no=cycle_no), config)
    assert plan["claude-haiku-5-5"] == ("check" if due else "")


def test_given_the_check_off_then_every_model_says_why_it_is_skipped():
    plan = answer.checks_for(None, Config(answer_check_every=0))
    assert plan == {"claude-haiku-5-5": "skipped: ANSWER_CHECK_EVERY=0"}


def test_the_check_request_asks_the_runbook_question_within_a_few_tokens():
    # Given the check's request body, then it is the canary's with the question and
    # max_tokens changed: no sampling parameters, no prefill, no thinking settings
    plain, check = request_body("claude-haiku-5-5"), request_body("claude-haiku-5-5", True)
    assert check["messages"] == [{"role": "user", "content": "Reply with OK"}]
    assert check["max_tokens"] == answer.CHECK_MAX_TOKENS <= 16
    assert set(check) == set(plain) == {"model", "max_tokens", "stream", "messages"}
    assert plain["messages"][0]["content"] == "Hi" and plain["max_tokens"] == 1


def test_the_stream_keeps_only_the_text_blocks_and_notes_a_thinking_block_first():
    # Given a stream with a thinking block, then two text deltas
    state = _StreamState(0.0)
    events = [
        {"type": "message_start", "message": {}},
        {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "hm"}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "O"}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "K"}},
    ]

    for data in events:
        state.handle(Event(event=data["type"], data=json.dumps(data)))
    # Then the answer is the text alone, and the thinking is noted
    assert state.text == "OK" and state.thought
