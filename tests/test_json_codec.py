"""Answers stay in memory (logs, cache, journal): an encoded answer must cost about its size.
orjson's bytes keep the whole buffer they were written into (64 KB for an embedding), which
made a session's retained answers ten to twenty times their size."""

from __future__ import annotations

import tracemalloc

from emulator.json_codec import dumps

EMBEDDING_ANSWER = {"shape": [1, 384], "data": [[0.012345] * 384], "pooling": "cls"}


def test_an_encoded_answer_takes_about_its_own_size_in_memory():
    tracemalloc.start()
    try:
        kept = [dumps(EMBEDDING_ANSWER) for _ in range(200)]
        per_answer = tracemalloc.get_traced_memory()[0] / len(kept)
    finally:
        tracemalloc.stop()
    assert per_answer < 2 * len(kept[0]), f"{per_answer:.0f} bytes held for a {len(kept[0])}-byte answer"
