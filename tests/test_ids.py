"""Ids: the ULIDs of log ids count up within a millisecond and are written the same however
they are made (the encoder keeps the last one and rewrites only what a count changes)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.ids import IdSource

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford(value: int, length: int) -> str:
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(length)))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), steps=st.lists(st.sampled_from([0, 0, 0, 1, 7, 1000]), max_size=60))
def test_ulids_are_time_then_a_random_part_that_counts_up_within_a_millisecond(seed, steps):
    ids, reference = IdSource(seed), random.Random(seed)
    now, last_ms, counter = 1_767_225_600.0, None, 0
    for step in [0, *steps]:
        now += step / 1000
        ms = int(now * 1000)
        counter = counter + 1 if ms == last_ms else reference.getrandbits(80)
        last_ms = ms
        assert ids.ulid(now) == crockford((ms << 80) | counter, 26)


def test_a_count_that_carries_past_the_last_two_characters_is_written_whole():
    ids = IdSource(0)
    first = ids.ulid(1_767_225_600.0)
    value = sum(CROCKFORD.index(c) << (5 * i) for i, c in enumerate(reversed(first)))
    made = [ids.ulid(1_767_225_600.0) for _ in range(3000)]  # crosses at least two carries out of 10 bits
    assert made == [crockford(value + n, 26) for n in range(1, 3001)]
    assert made == sorted(made)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**64))
def test_hex_ids_are_the_drawn_bits_zero_padded(seed):
    ids, reference = IdSource(seed), random.Random(seed)
    assert ids.openai_request() == "req_" + format(reference.getrandbits(128), "032x")
    assert ids.response() == "resp_" + format(reference.getrandbits(192), "048x")
