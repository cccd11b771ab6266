from tests.gateway_helpers import add_fixture, chat, last_journal_entry, reset


def test_max_attempts_above_five_is_clamped_to_five(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"content": "down"}, "respond": {"error": {"status": 503}}})
    assert chat(emulator, "down", {"cf-aig-max-attempts": "9", "cf-aig-retry-delay": "0"}).status_code == 503
    entry = last_journal_entry(emulator)
    assert len(entry["attempts"]) == 5
    assert entry["header_notes"] == ["cf-aig-max-attempts: '9' is outside 1..5 (clamped to 5)"]


def test_malformed_values_are_ignored_by_default(emulator):
    reset(emulator)
    headers = {"cf-aig-cache-ttl": "soon", "cf-aig-backoff": "random", "cf-aig-metadata": "{not json"}
    response = chat(emulator, "lenient", headers)
    assert response.status_code == 200
    assert "cf-aig-cache-status" not in response.headers
    notes = last_journal_entry(emulator)["header_notes"]
    assert [note.split(":")[0] for note in notes] == ["cf-aig-cache-ttl", "cf-aig-backoff", "cf-aig-metadata"]
    assert all("(ignored)" in note for note in notes)
    # The same headers again (parsed once, remembered) are treated the same way.
    assert chat(emulator, "lenient again", headers).status_code == 200
    assert last_journal_entry(emulator)["header_notes"] == notes


def test_a_request_with_valid_option_headers_has_no_header_notes(emulator):
    reset(emulator)
    assert chat(emulator, "fine", {"cf-aig-max-attempts": "3", "cf-aig-cache-ttl": "120"}).status_code == 200
    assert last_journal_entry(emulator)["header_notes"] == []


def test_strict_headers_reject_a_bad_value_naming_the_header(start):
    emu = start("--strict-headers")
    response = chat(emu, "strict", {"cf-aig-max-attempts": "9"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "cf-aig-max-attempts" in error["message"]
    response = chat(emu, "strict", {"cf-aig-cache-ttl": "soon"})
    assert response.status_code == 400 and "cf-aig-cache-ttl" in response.json()["errors"][0]["message"]
    assert chat(emu, "strict", {"cf-aig-max-attempts": "9"}).status_code == 400  # refused every time
    assert chat(emu, "strict", {"cf-aig-max-attempts": "3"}).status_code == 200
