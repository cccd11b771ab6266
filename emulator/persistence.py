"""State that survives a restart (`--state-dir DIR`): gateways with their settings, the gateway
logs and the clock, kept in one SQLite file (`DIR/state.sqlite3`, WAL mode).

The in-memory stores stay what the request path reads; the saved ones here are the same stores
that also write each change through, one transaction per change. A log entry is written when
its request is finished (a stream: when it ended), so a crash loses at most the requests in
flight. Without `--state-dir` none of this is imported: the plain stores cost nothing more.
Beside each log entry goes what the journal says of how its request was answered (the fixture,
why each other did not match, cache status, header notes: not the headers, so no credential is
written), which the dashboard shows after a restart. What is not kept: the cache, rate-limit
windows, the journal itself and runtime fixtures (a restart starts them empty).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable

from emulator import json_codec
from emulator.clock import Clock
from emulator.gateway.gateways import Gateway, GatewayRegistry
from emulator.gateway.logs import LogStore, Logged

STATE_FILE = "state.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gateways (
    account_id TEXT NOT NULL, gateway_id TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (account_id, gateway_id)
);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, log_id TEXT NOT NULL, entry TEXT NOT NULL,
    answer TEXT, UNIQUE (scope, log_id)
);
"""
# What the journal says of a logged request's answer that is saved with its log entry.
ANSWER_FIELDS = ("endpoint", "fixture", "fixture_item", "fixture_report", "status", "error", "cache_status", "header_notes", "attempts")


class StateFileError(Exception):
    """The state directory cannot be used (not writable, not an emulator's state file)."""


class StateStore:
    """The SQLite file. Every write is its own transaction; the clock's position goes with it."""

    def __init__(self, directory: Path, clock: Clock) -> None:
        self.path = Path(directory) / STATE_FILE
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The server runs on one thread; the connection is made before uvicorn starts it.
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL survives a crash of the process (only a power cut can lose the
            # last commits), and a commit does not wait for the disk.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            if "answer" not in {row[1] for row in self._db.execute("PRAGMA table_info(logs)")}:  # a file of the first version
                self._db.execute("ALTER TABLE logs ADD COLUMN answer TEXT")
            version = self._meta("schema_version")
            if version is not None and int(version) != SCHEMA_VERSION:
                raise StateFileError(f"{self.path}: state file version {version}, this emulator reads {SCHEMA_VERSION}")
            self._set_meta("schema_version", str(SCHEMA_VERSION))
        except (OSError, sqlite3.Error) as exc:
            raise StateFileError(f"{self.path}: cannot use it as the state file: {exc}") from exc
        self.runs = int(self._meta("runs") or 0) + 1
        self._set_meta("runs", str(self.runs))

    # --- meta: the clock and the count of runs ---------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _clock_row(self) -> tuple[str, str]:
        return (f"clock:{self._clock.mode}", repr(self._clock.position()))

    def save_clock(self) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", self._clock_row())

    def restore_clock(self) -> None:
        saved = self._meta(f"clock:{self._clock.mode}")
        if saved is not None:
            self._clock.resume(float(saved))

    def _write(self, statements: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        """One transaction: the statements and the clock's position."""
        with self._db:
            self._db.execute("BEGIN")
            for sql, params in statements:
                self._db.execute(sql, params)
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", self._clock_row())

    # --- gateways ------------------------------------------------------------------------
    def gateways(self) -> dict[str, list[Gateway]]:
        saved: dict[str, list[Gateway]] = {}
        for account_id, record in self._db.execute("SELECT account_id, record FROM gateways ORDER BY rowid"):
            saved.setdefault(account_id, []).append(Gateway(**json_codec.loads(record)))
        return saved

    def save_gateways(self, account_id: str, gateways: Iterable[Gateway]) -> None:
        sql = "INSERT OR REPLACE INTO gateways (account_id, gateway_id, record) VALUES (?, ?, ?)"
        self._write((sql, (account_id, g.id, json_codec.dumps_text(g.record()))) for g in gateways)

    def delete_gateway(self, account_id: str, gateway_id: str, scope: str) -> None:
        self._write([
            ("DELETE FROM gateways WHERE account_id = ? AND gateway_id = ?", (account_id, gateway_id)),
            ("DELETE FROM logs WHERE scope = ?", (scope,)),
        ])

    # --- logs ----------------------------------------------------------------------------
    def logs(self) -> dict[str, list[dict[str, Any]]]:
        saved: dict[str, list[dict[str, Any]]] = {}
        for scope, entry in self._db.execute("SELECT scope, entry FROM logs ORDER BY seq"):
            saved.setdefault(scope, []).append(json_codec.loads(entry))
        return saved

    def save_log(self, scope: str, entry: dict[str, Any], dropped: str | None = None, journal: dict[str, Any] | None = None) -> None:
        answer = None if journal is None else json_codec.dumps_text({k: journal.get(k) for k in ANSWER_FIELDS if k in journal})
        sql = "INSERT OR REPLACE INTO logs (scope, log_id, entry, answer) VALUES (?, ?, ?, ?)"
        statements = [(sql, (scope, entry["id"], json_codec.dumps_text(entry), answer))]
        if dropped is not None:
            statements.append(("DELETE FROM logs WHERE scope = ? AND log_id = ?", (scope, dropped)))
        self._write(statements)

    def answer(self, scope: str, log_id: str) -> dict[str, Any] | None:
        """What the journal said of this logged request's answer when it was saved."""
        row = self._db.execute("SELECT answer FROM logs WHERE scope = ? AND log_id = ?", (scope, log_id)).fetchone()
        return None if row is None or row[0] is None else json_codec.loads(row[0])

    def update_log(self, scope: str, entry: dict[str, Any]) -> None:
        self._write([("UPDATE logs SET entry = ? WHERE scope = ? AND log_id = ?", (json_codec.dumps_text(entry), scope, entry["id"]))])

    def delete_logs(self, scope: str, log_ids: Iterable[str]) -> None:
        self._write(("DELETE FROM logs WHERE scope = ? AND log_id = ?", (scope, log_id)) for log_id in log_ids)

    def forget(self, table: str) -> None:
        assert table in ("gateways", "logs")
        self._write([(f"DELETE FROM {table}", ())])

    def close(self) -> None:
        self._db.close()


class SavedGatewayRegistry(GatewayRegistry):
    """The gateways, each change also written to the state file. At start-up an account's
    gateways are the configured ones overlaid by those saved (a configured gateway deleted through
    the API comes back with the config file)."""

    def __init__(self, configured: dict[str, dict[str, Any]], clock: Clock, store: StateStore) -> None:
        super().__init__(configured, clock)
        self._store = store
        for account_id, gateways in store.gateways().items():
            account = super().account(account_id)
            account.update({g.id: g for g in gateways})

    def account(self, account_id: str) -> dict[str, Gateway]:
        known = account_id in self._accounts
        gateways = super().account(account_id)
        if not known and gateways:
            self._store.save_gateways(account_id, gateways.values())
        return gateways

    def create(self, account_id: str, gateway_id: str, fields: dict[str, Any]) -> Gateway:
        gateway = super().create(account_id, gateway_id, fields)
        self._store.save_gateways(account_id, [gateway])
        return gateway

    def update(self, gateway: Gateway, fields: dict[str, Any]) -> Gateway:
        super().update(gateway, fields)
        account_id = next(a for a, gateways in self._accounts.items() if gateways.get(gateway.id) is gateway)
        self._store.save_gateways(account_id, [gateway])
        return gateway

    def delete(self, account_id: str, gateway_id: str) -> Gateway | None:
        gateway = super().delete(account_id, gateway_id)
        if gateway is not None:
            self._store.delete_gateway(account_id, gateway_id, f"{account_id}/{gateway_id}")
        return gateway

    def resolve(self, account_id: str, gateway_id: str | None) -> Gateway:
        made = gateway_id in (None, "default") and "default" not in self.account(account_id)
        gateway = super().resolve(account_id, gateway_id)
        if made:
            self._store.save_gateways(account_id, [gateway])
        return gateway

    def reset(self) -> None:
        super().reset()
        self._store.forget("gateways")


class SavedLogStore(LogStore):
    """The gateway logs, each entry also written to the state file once its request is finished."""

    def __init__(self, max_per_gateway: int, store: StateStore, prices: Any = None) -> None:
        super().__init__(max_per_gateway, prices)
        self._store = store
        for scope, entries in store.logs().items():
            self.restore(scope, entries)

    def add(self, scope: str, log_id: str, request: Logged) -> str | None:
        dropped = super().add(scope, log_id, request)
        # The entry's value is written out now (it is read at once), the Exchange let go.
        journaled = getattr(request, "entry", None)  # the request's journal entry, if it keeps one
        request.when_whole(lambda: self._saved(scope, log_id, dropped, journaled))
        return dropped

    def _saved(self, scope: str, log_id: str, dropped: str | None, journaled: Callable[[], dict[str, Any]] | None) -> None:
        entry = self.get(scope, log_id)
        if entry is not None:
            self._store.save_log(scope, entry, dropped, journaled() if journaled is not None else None)
        elif dropped is not None:
            self._store.delete_logs(scope, [dropped])

    def updated(self, scope: str, entry: dict[str, Any]) -> None:
        self._store.update_log(scope, entry)

    def delete(self, scope: str, keep: Iterable[dict[str, Any]]) -> int:
        kept = list(keep)
        before = {e["id"] for e in self.entries(scope)}
        removed = super().delete(scope, kept)
        self._store.delete_logs(scope, before - {e["id"] for e in kept})
        return removed

    def reset(self) -> None:
        super().reset()
        self._store.forget("logs")
