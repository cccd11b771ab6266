"""Everything the emulator remembers, with one `reset` that forgets all of it at once."""

from __future__ import annotations

from pathlib import Path

from emulator.catalog import Catalog, model_from_entry
from emulator.clock import Clock, make_clock
from emulator.fixtures import FixtureSet, fixture_files, parse_fixture_file
from emulator.gateway.cache import ResponseCache
from emulator.gateway.gateways import GatewayRegistry
from emulator.gateway.logs import LogStore
from emulator.gateway.ratelimit import RateLimiter
from emulator.ids import IdSource
from emulator.journal import Journal
from emulator.paths import FIXTURES_DIR
from emulator.settings import Settings


class EmulatorState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock: Clock = make_clock(settings.clock)
        self.ids = IdSource(settings.seed)
        self.catalog = Catalog()
        self.fixtures = FixtureSet()
        self.gateways = GatewayRegistry(settings.gateways, self.clock)
        self.journal = Journal(settings.journal_max_entries)
        self.cache = ResponseCache(self.clock, settings.cache_max_entries)
        self.rate_limits = RateLimiter(self.clock)
        self.logs = LogStore(settings.log_max_entries)
        self.loaded_files: list[Path] = []
        # The built-in model catalog always loads; --no-builtin-fixtures drops only the built-in answers.
        for path in fixture_files(FIXTURES_DIR):
            self.load_file(path, answers=settings.builtin_fixtures)
        for directory in settings.fixture_dirs:
            for path in fixture_files(Path(directory)):
                self.load_file(path)

    def load_file(self, path: Path, answers: bool = True) -> None:
        data = parse_fixture_file(path)
        for entry in data.get("models", []):
            self.catalog.add(model_from_entry(entry))
        if answers:
            self.fixtures.add_file_fixtures(data.get("fixtures", []), str(path))
        self.loaded_files.append(path)

    def reset(self) -> None:
        """Back to the state right after start-up: every store, one call."""
        self.clock.reset()
        self.ids.reset()
        self.fixtures.reset()
        self.gateways.reset()
        self.journal.reset()
        self.cache.reset()
        self.rate_limits.reset()
        self.logs.reset()
