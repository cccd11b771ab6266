"""Ids: the gateway's log ids are lowercase UUIDv7s whose random part counts up within a
millisecond, written the same however they are made (the encoder keeps the last one and rewrites
only what a count changes)."""

from __future__ import annotations

import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.ids import IdSource

START = 1_767_225_600.0  # the virtual clock's 2026-01-01T00:00:00Z


def uuid7(ms: int, random_bits: int) -> str:
    """RFC 9562 UUIDv7 as the standard library writes it: 48-bit ms, version 7, 12 bits of rand_a,
    variant 10, 62 bits of rand_b."""
    value = (ms << 80) | (7 << 76) | ((random_bits >> 62) << 64) | (2 << 62) | (random_bits & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), steps=st.lists(st.sampled_from([0, 0, 0, 1, 7, 1000]), max_size=60))
def test_log_ids_are_uuid7_time_then_a_random_part_that_counts_up_within_a_millisecond(seed, steps):
    ids, reference = IdSource(seed), random.Random(seed)
    now, last_ms, counter = START, None, 0
    for step in [0, *steps]:
        now += step / 1000
        ms = int(now * 1000)
        counter = counter + 1 if ms == last_ms else reference.getrandbits(74)
        last_ms = ms
        made = ids.log_id(now)
        assert made == uuid7(ms, counter)
        parsed = uuid.UUID(made)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and made == made.lower()


def test_a_count_that_carries_past_the_last_twelve_digits_is_written_whole():
    ids = IdSource(0)
    first = uuid.UUID(ids.log_id(START)).int
    ids._log_id_random |= (1 << 48) - 2  # two counts before a carry out of the last 12 hex digits (rand_b's low 48 bits)
    base = ids._log_id_random
    made = [ids.log_id(START) for _ in range(4)]
    assert made == [uuid7(first >> 80, base + n) for n in range(1, 5)]
    assert made == sorted(made) and len(set(made)) == 4


def test_ids_stay_in_order_when_the_random_part_runs_out_or_the_clock_goes_back():
    ids = IdSource(0)
    ids.log_id(START)
    ids._log_id_random = (1 << 74) - 2
    made = [ids.log_id(START), ids.log_id(START), ids.log_id(START - 5)]
    assert made == sorted(made) and len(set(made)) == 3
    assert uuid.UUID(made[1]).int >> 80 == int(START * 1000) + 1  # the next millisecond


def test_the_same_seed_and_clock_give_the_same_ids():
    def run(seed: int) -> list[str]:
        ids = IdSource(seed)
        return [ids.log_id(START + n / 3000) for n in range(10)]

    assert run(3) == run(3) and run(3) != run(4)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**64))
def test_hex_ids_are_the_drawn_bits_zero_padded(seed):
    ids, reference = IdSource(seed), random.Random(seed)
    assert ids.openai_request() == "req_" + format(reference.getrandbits(128), "032x")
    assert ids.response() == "resp_" + format(reference.getrandbits(192), "048x")
