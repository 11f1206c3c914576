"""Text the status page writes reaches a terminal, a store and people's messages: a
page (or whatever answers in its place) whose incident name carries terminal escapes,
a bidi override or a wall of text must not clear the screen, forge lines or widen
them. Over loopback: the simulator's page, the real command line."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import run_cli, sim_env

ESCAPES = "\x1b[2J\x1b[32mAll good\x1b[0m\r\nNext step: Nothing to do\u202e"
EVIL = ESCAPES + " Elevated errors on the Claude API " + "x" * 3000


def test_given_an_incident_name_with_escapes_and_3000_characters_then_no_output_carries_them(
    sim, tmp_path
):
    # Given: a page in major outage whose incident name is hostile
    sim.set("healthy")
    sim.update(
        incident={"name": EVIL, "component": "api", "impact": "major", "body": ESCAPES * 3},
        api_status="major_outage",
    )
    env = sim_env(sim, tmp_path)
    # When: two checks (the second tells people), as text, and as JSON
    first = run_cli("check", env=env)
    second = run_cli("check", "--json", env=env)
    said = first.stdout + first.stderr + second.stdout + second.stderr
    # Then: no control or bidi character reaches the terminal, the JSON or a message
    for bad in ("\x1b", "\r", "\u202e", "\\u001b", "\\u202e"):
        assert bad not in said, repr(bad)
    # And: no 3000-character line (the table wraps on words and never splits one, so
    # the capped name's one long word is the widest a line gets)
    assert max(len(line) for line in first.stdout.splitlines()) <= 300
    # And: the name is still read (the API's incident), just cleaned and capped
    [incident] = second.json["status_page"]["incidents"]
    assert "All good" in incident["name"] and len(incident["name"]) <= 300
    # And: the store holds the cleaned text only
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        records = [json.loads(r) for (r,) in db.execute("SELECT record FROM cycles")]
    assert "\x1b" not in json.dumps(records, ensure_ascii=False)
