"""With many fixtures (recorded traffic) a request is compared only with those its endpoint,
model and last user message leave: the same fixture must win as when every one is compared."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.completion import ChatRequest, Message
from emulator.fixtures import INDEX_FROM, FixtureSet, MatchContext

ENDPOINTS = ["chat_completions", "responses", "messages"]
MODELS = ["openai/gpt-4.1", "openai/gpt-4o", "anthropic/claude-sonnet-4.5"]
CONTENTS = ["hello", "weather in Paris", "hello there", "order #1"]

match_specs = st.fixed_dictionaries({}, optional={
    "endpoint": st.sampled_from(ENDPOINTS) | st.lists(st.sampled_from(ENDPOINTS), min_size=1, max_size=2),
    "model": st.sampled_from(MODELS) | st.just({"pattern": "openai/*"}),
    "content": st.sampled_from(CONTENTS) | st.just({"contains": "hello"}),
    "turn": st.integers(0, 1),
})


def fixture_set(specs: list[dict]) -> FixtureSet:
    fixtures = FixtureSet()
    fixtures.add_file_fixtures([{"name": f"f{i}", "match": m, "respond": {"text": str(i)}} for i, m in enumerate(specs)], "many.json")
    return fixtures


@settings(max_examples=60, deadline=None)
@given(specs=st.lists(match_specs, min_size=INDEX_FROM, max_size=INDEX_FROM + 40),
       endpoint=st.sampled_from(ENDPOINTS), model=st.sampled_from(MODELS), content=st.sampled_from(CONTENTS), turn=st.integers(0, 1))
def test_the_index_picks_the_fixture_comparing_every_one_picks(specs, endpoint, model, content, turn):
    messages = [Message("user", content)] + [Message("assistant", "x"), Message("user", content)] * turn
    request = ChatRequest(endpoint, model, messages)
    ctx = MatchContext(endpoint, model, content, {}, request, {})
    indexed = fixture_set(specs)
    winner, report = indexed.match(ctx)
    assert indexed._index is not None
    compared = [f for f in indexed if f.mismatch(ctx) is None]
    expected = max(compared, key=lambda f: f.specificity, default=None)  # max keeps the first of equals
    assert (winner.name if winner else None) == (expected.name if expected else None)
    view = report.view()
    assert len(view) <= len(specs) + 1
    if winner is not None:
        assert {"fixture": winner.name, "source": winner.source, "result": "matched"} in view
