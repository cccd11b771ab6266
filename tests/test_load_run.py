"""The load and bad-input run in its bounded form (benchmarks/load_run.py runs the full one):
concurrent good and bad requests, and the records stay exact."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import load_run  # noqa: E402

# What the bounded run's server may reach; the full run's bound is in the README.
PEAK_RSS_MB = 150


def test_a_mixed_load_with_bad_input_answers_no_5xx_and_keeps_one_record_per_request():
    result = load_run.run(requests=390, connections=20)
    assert load_run.check(result) == []
    assert result["server_errors"] == 0
    assert result["journal_entries"] == result["journaled_requests"] > 0
    assert result["log_entries"] == result["logged_requests"] > 0
    assert (result["rate_limited_answered"], result["rate_limited_refused"]) == (result["rate_limit"], 30 - result["rate_limit"])
    assert result["statuses"]["over the cap"] == {413: 30} and result["statuses"]["deep JSON"] == {400: 30}
    assert result["peak_rss_mb"] < PEAK_RSS_MB
