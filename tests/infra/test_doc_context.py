"""Every `-c name=value` example in the README and docs is one the synth accepts as
written (issue 18: the README's Bedrock example named a model the default `models`
lacks, so `make synth` with it failed). Checked through the synth's own validation
(infra/settings.load and infra/channels.parse_channel_context) on top of cdk.json,
without a full synth per example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.channels import parse_channel_context
from infra.settings import load

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# One example: a backtick span or a CONTEXT="..." value holding at least one -c.
_SPAN = re.compile(r'CONTEXT="([^"]*-c [^"]*)"|`([^`]*-c [^`]*)`')
_PAIR = re.compile(r'-c (\w+)=([^\s"`]+)')
# Values the docs leave for the reader to fill in: not synthesisable as written.
_PLACEHOLDER = re.compile(r"…|\.\.\.|<|KEY/")


def examples() -> list[tuple[str, dict[str, str]]]:
    found = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            for match in _SPAN.finditer(line):
                text = match.group(1) or match.group(2)
                pairs = dict(_PAIR.findall(text))
                if pairs and not any(_PLACEHOLDER.search(v) for v in pairs.values()):
                    found.append((f"{doc.name}:{n}", pairs))
    return found


def cdk_json_context() -> dict[str, object]:
    return dict(json.loads((ROOT / "cdk.json").read_text())["context"])


def test_the_docs_hold_the_examples_this_test_is_about():
    # Given the README and docs, then the examples found include the Bedrock mapping,
    # quiet hours and the several-regions one (the extraction itself works)
    names = {name for _, pairs in examples() for name in pairs}
    assert {"bedrockModels", "quiet", "regions", "emails", "bedrockAlerts"} <= names


@pytest.mark.parametrize(("where", "pairs"), examples(), ids=[w for w, _ in examples()])
def test_given_a_documented_context_example_when_synthesised_as_written_then_it_is_valid(
    where, pairs
):
    # Given cdk.json's context and the example's -c values on top, as `make synth` has it
    context = {**cdk_json_context(), **pairs}
    # When the synth validates them, then neither the settings nor the channels refuse
    load(context)
    parse_channel_context(context.get)
