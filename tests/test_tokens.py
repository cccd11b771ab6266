"""Token counts: what usage reports, the same in every dialect, and the fast count's equivalence."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.tokens import count_tokens
from tests.gateway_helpers import add_fixture, chat, reset

TOKEN = re.compile(r"\w+|[^\w\s]")  # the rule the README states: a word, or one mark


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_the_count_is_the_number_of_words_and_marks(text):
    assert count_tokens(text) == len(TOKEN.findall(text))


def test_usage_counts_words_and_marks_of_the_answer_and_the_question(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "Count me, please: 3 words?"}, "respond": {"text": "Hello, world! It's 2026.\x1f_ok_"}})
    usage = chat(emulator, "Count me, please: 3 words?").json()["usage"]
    # Hello , world ! It ' s 2026 . _ok_ (\x1f is a space) / Count me , please : 3 words ?
    assert (usage["completion_tokens"], usage["prompt_tokens"]) == (10, 8)
