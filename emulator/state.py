"""Everything the emulator remembers, with one `reset` that forgets all of it at once."""

from __future__ import annotations

import gc
from pathlib import Path

from emulator.catalog import Catalog, model_from_entry
from emulator.clock import Clock, make_clock
from emulator.fixtures import FixtureSet, fixture_files, parse_fixture_file
from emulator.gateway.billing import Credits
from emulator.gateway.cache import ResponseCache
from emulator.gateway.dlp import ProfileCatalog
from emulator.gateway.guardrails import Classifications, Scanner
from emulator.gateway.costs import Price
from emulator.gateway.gateways import GatewayRegistry
from emulator.gateway.logs import LogStore
from emulator.gateway.ratelimit import RateLimiter
from emulator.gateway.auto_router import SessionPins
from emulator.gateway.routes import RouteStore, SpendLog
from emulator.gateway.policies import PolicySpend
from emulator.gateway.spend_limits import SpendLedger
from emulator.ids import IdSource
from emulator.journal import Journal
from emulator.paths import FIXTURES_DIR, SCHEMAS_DIR
from emulator.schema_check import ConfigError
from emulator.settings import Settings

WORKERS_AI_SCHEMAS = SCHEMAS_DIR / "workers_ai"


class EmulatorState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock: Clock = make_clock(settings.clock)
        self.catalog = Catalog()
        self.fixtures = FixtureSet()
        self.journal = Journal(settings.journal_max_entries)
        self.cache = ResponseCache(self.clock, settings.cache_max_entries)
        self.rate_limits = RateLimiter(self.clock)
        self.spend = SpendLedger(self.clock)
        self.policy_spend = PolicySpend(self.clock)
        self.credits = Credits(self.clock, settings.unified_billing_balance)
        self.saved = None  # the state file (emulator.persistence.StateStore) with --state-dir
        if settings.state_dir is None:
            self.ids = IdSource(settings.seed)
            self.gateways = GatewayRegistry(settings.gateways, self.clock)
            self.logs = LogStore(settings.log_max_entries, self.catalog)
        else:
            self._restore(settings.state_dir)
        self.classifications = Classifications()
        self.scanner = Scanner(settings.guardrails_scanner)
        self.dlp_profiles = ProfileCatalog(settings.dlp_profiles)
        # Dynamic routes (not kept in the state file: the config file's come back on each start).
        self.routes = RouteStore(settings.gateways, self.clock, self.ids)
        self.route_spend = SpendLog(self.clock)
        self.auto_router = SessionPins()
        self.loaded_files: list[Path] = []
        # Record mode's --record-missing: a request no fixture matches goes to the upstream (NoFixture).
        self.unmatched_goes_upstream = False
        # The built-in model catalog always loads; --no-builtin-fixtures drops only the built-in answers.
        # The package's own files are checked against the fixture schema by the test suite
        # (tests/test_schema_files.py); start-up does not pay for compiling that schema for them.
        # What loading builds lives as long as the process: the cycle collector, which would walk
        # the growing heap again every few hundred objects (ten thousand recorded fixtures: most
        # of the start-up), has nothing to find in it and is paused meanwhile.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for path in fixture_files(FIXTURES_DIR):
                self.load_file(path, answers=settings.builtin_fixtures, check=False)
            for directory in settings.fixture_dirs:
                for path in fixture_files(Path(directory)):
                    self.load_file(path)
        finally:
            if collecting:
                gc.enable()
        for name, entry in settings.prices.items():  # the config file's prices beat every file's
            self.catalog.set_price(name, Price.per_million(entry))

    def _restore(self, state_dir: Path) -> None:
        """Gateways, logs and the clock as the last run left them in `state_dir`, saved as they change."""
        from emulator.persistence import SavedGatewayRegistry, SavedLogStore, StateFileError, StateStore

        try:
            store = self.saved = StateStore(state_dir, self.clock)
        except StateFileError as exc:
            raise ConfigError(str(exc)) from exc
        store.restore_clock()
        self.clock.moved = store.save_clock
        # Each run draws other ids than the last (log ids must not repeat what the file holds),
        # and the same ones on every machine for the same seed and run.
        self.ids = IdSource(self.settings.seed if store.runs == 1 else f"{self.settings.seed}/run{store.runs}")
        self.gateways = SavedGatewayRegistry(self.settings.gateways, self.clock, store)
        self.logs = SavedLogStore(self.settings.log_max_entries, store, self.catalog)

    def load_file(self, path: Path, answers: bool = True, check: bool = True) -> None:
        data = parse_fixture_file(path, check)
        for index, entry in enumerate(data.get("models", [])):
            model = model_from_entry(entry)
            if model.input_schema is not None and not (WORKERS_AI_SCHEMAS / model.input_schema).is_file():
                known = ", ".join(sorted(p.name for p in WORKERS_AI_SCHEMAS.glob("*.json")))
                raise ConfigError(f"{path}: $.models[{index}].input_schema: no schema named {model.input_schema!r} (known: {known})")
            self.catalog.add(model)
        for provider, ids in data.get("provider_models", {}).items():
            self.catalog.add_provider_ids(provider, ids)
        for name, entry in data.get("prices", {}).get("models", {}).items():
            self.catalog.set_price(name, Price.per_million(entry))
        if answers:
            self.fixtures.add_file_fixtures(data.get("fixtures", []), str(path))
            self.classifications.add_file_rules(data.get("classifications", []), str(path))
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
        self.routes.reset()
        self.route_spend.reset()
        self.auto_router.reset()
        self.spend.reset()
        self.policy_spend.reset()
        self.credits.reset()
        self.logs.reset()
        self.classifications.reset()
        self.scanner.reset()
