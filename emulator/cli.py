"""`ai-gateway-emulator serve ...`: start the emulator and print the URLs to paste into an SDK;
`record` serves it in front of an upstream, `drift` compares recordings with the upstream."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import re
import socket
import sys
from pathlib import Path
from typing import Sequence

from emulator import __version__
from emulator.schema_check import ConfigError
from emulator.settings import build_settings, env_name


# uvicorn's own options, shared with the benchmark's bare-Starlette baseline so both run alike.
UVICORN_OPTIONS = {"access_log": False, "lifespan": "off"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ai-gateway-emulator",
        description="Offline, deterministic emulator of Cloudflare AI Gateway and its AI REST API.",
        epilog="Without a command, `serve` runs. See `ai-gateway-emulator serve --help` for every option "
               "and its environment variable.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the emulator (the default command)")
    add_serve_options(serve)
    check = sub.add_parser("check", help="validate fixture and config files, then exit")
    add_serve_options(check)
    record = sub.add_parser("record", help="proxy every request to an upstream and write each exchange as a fixture file")
    add_serve_options(record)
    add_record_options(record)
    drift = sub.add_parser("drift", help="send recorded requests to an upstream and report where its answers' shape changed")
    drift.add_argument("--upstream", required=True, metavar="URL", help="base URL the recorded paths are sent to, e.g. https://api.cloudflare.com")
    drift.add_argument("--token", default=None, help="API token sent as Authorization: Bearer (recordings keep none); default: env CLOUDFLARE_API_TOKEN")
    drift.add_argument("paths", nargs="+", type=Path, metavar="DIR", help="recorded fixture files or directories")
    return p


# What `record` adds to the serve options; these are not settings of the emulator.
RECORD_OPTIONS = ("upstream", "out", "record_missing", "redact")


def add_record_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--upstream", required=True, metavar="URL",
                   help="base URL requests are forwarded to with their path: the real service (https://api.cloudflare.com, "
                        "https://gateway.ai.cloudflare.com) or another emulator")
    p.add_argument("--out", type=Path, default=Path("recorded"), metavar="DIR", help="directory the fixture files are written to; default ./recorded")
    p.add_argument("--record-missing", action="store_true",
                   help="answer from fixtures (--fixtures and --out) and forward and record only what no fixture matches")
    p.add_argument("--redact", action="append", default=[], metavar="REGEX",
                   help="also replace what this regular expression matches by [REDACTED] in written files; repeatable "
                        "(credential headers' values and provider keys always are)")


def add_serve_options(p: argparse.ArgumentParser) -> None:
    def env(setting: str) -> str:
        return f"(env {env_name(setting)})"

    p.add_argument("--host", default=None, help=f"address to listen on; default 127.0.0.1 {env('host')}")
    p.add_argument("--port", type=int, default=None, help=f"port to listen on, 0 for any free port; default 8787 {env('port')}")
    p.add_argument(
        "--fixtures", dest="fixture_dirs", action="append", type=Path, default=None, metavar="DIR",
        help=f"extra fixture directory, loaded after the built-in fixtures; repeat for more {env('fixture_dirs')} (os.pathsep-separated)",
    )
    p.add_argument("--no-builtin-fixtures", dest="builtin_fixtures", action="store_const", const=False, default=None,
                   help="do not answer from the built-in example fixtures (the built-in model catalog still loads) "
                        f"(env {env_name('builtin_fixtures')}=false)")
    p.add_argument("--seed", type=int, default=None, help=f"seed of synthesized answers and ids; default 0 {env('seed')}")
    p.add_argument("--config", dest="config_file", type=Path, default=None, metavar="FILE",
                   help=f"config file (JSON or YAML): accepted tokens and accounts, gateways, settings {env('config_file')}")
    p.add_argument("--workers-ai-gateway", choices=["strict", "lenient"], default=None,
                   help="strict: @cf/ models on ai/run (envelope) and ai/v1/* need cf-aig-gateway-id (documented rule); "
                        f"lenient: without it they run as plain Workers AI; default strict {env('workers_ai_gateway')}")
    p.add_argument("--clock", choices=["virtual", "real"], default=None,
                   help=f"virtual: simulated time, nothing sleeps; real: latency and backoff really wait; default virtual {env('clock')}")
    p.add_argument("--strict-headers", action="store_const", const=True, default=None,
                   help=f"reject malformed cf-aig-* header values instead of clamping or ignoring them {env('strict_headers')}")
    p.add_argument("--accept-any-model", action="store_const", const=True, default=None,
                   help="on the gateway host's provider paths, serve any model id, even one its provider does not have "
                        f"(default: the provider's own 404) {env('accept_any_model')}")
    p.add_argument("--journal-max-entries", "--journal-size", dest="journal_max_entries", type=int, default=None, metavar="N",
                   help=f"requests /__emulator__/journal keeps, oldest dropped first; default 10000 {env('journal_max_entries')}")
    p.add_argument("--state-dir", dest="state_dir", type=Path, default=None, metavar="DIR",
                   help="keep gateways, their settings, logs and the clock in DIR/state.sqlite3 so a restart "
                        f"loses nothing; default off (in memory) {env('state_dir')}")
    p.add_argument("--max-body-bytes", type=int, default=None, metavar="N",
                   help=f"largest request body accepted, in bytes; a larger one is answered 413 in the route's dialect; "
                        f"default 104857600 (100 MB, Cloudflare's limit on the Free and Pro plans) {env('max_body_bytes')}")
    p.add_argument("--log-level", default=None, choices=["critical", "error", "warning", "info", "debug"],
                   help=f"server log level; default warning {env('log_level')}")


def base_url(host: str, port: int) -> str:
    """An IPv6 address is bracketed in a URL (`http://[::]:8787`)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def exposure_warning(host: str) -> str | None:
    """What binding beyond loopback exposes: the control API has no authentication."""
    if is_loopback(host):
        return None
    return (
        f"ai-gateway-emulator: warning: listening on {host}, not only on loopback: the control API "
        "(/__emulator__/: journal, fixtures, reset, clock) is unauthenticated, so anyone who can reach "
        "this port can read every recorded request and change the emulator's answers"
    )


def banner(host: str, port: int, account_id: str, token: str, state_file: Path | None = None) -> str:
    base = base_url(host, port)
    account = f"{base}/client/v4/accounts/{account_id}"
    lines = [
        f"ai-gateway-emulator {__version__} listening on {base}",
        f"  OpenAI base URL:      {account}/ai/v1",
        f"  Anthropic base URL:   {account}/ai",
        f"  Cloudflare base URL:  {base}/client/v4",
        f"  Dashboard:            {base}/__emulator__/ui/",
        f"  account id: {account_id}",
        f"  api token:  {token}",
    ]
    if state_file is not None:
        lines.append(f"  state kept in: {state_file}")
    return "\n".join([*lines, ""])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["serve", *argv]
    args = parser().parse_args(argv)
    if args.command == "drift":
        from emulator.drift import main as drift_main

        return drift_main(args.upstream, args.token, args.paths)
    flags = {k: v for k, v in vars(args).items() if k != "command" and k not in RECORD_OPTIONS}
    if args.command == "record" and args.record_missing and args.out.is_dir():
        flags["fixture_dirs"] = [*(flags.get("fixture_dirs") or []), args.out]
    try:
        settings = build_settings(flags)
        from emulator.state import EmulatorState

        state = EmulatorState(settings)
    except ConfigError as exc:
        print(f"ai-gateway-emulator: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        print(f"ok: {len(state.loaded_files)} files, {len(state.fixtures)} fixtures, {len(state.catalog)} models")
        return 0
    if args.command == "record":
        try:
            recorder = _recorder(args, state)
        except re.error as exc:
            print(f"ai-gateway-emulator: --redact: invalid regular expression: {exc}", file=sys.stderr)
            return 2
        return serve(settings, state, recorder)
    return serve(settings, state)


def _recorder(args: argparse.Namespace, state):
    from emulator.app import build_app
    from emulator.recorder import Recorder
    from emulator.recording import DEFAULT_SECRET_PATTERNS, Redactor

    redactor = Redactor((*DEFAULT_SECRET_PATTERNS, *args.redact))
    return lambda settings: Recorder(build_app(settings, state), state, args.upstream, args.out, args.record_missing, redactor)


# Collect the youngest generation every 50,000 new container objects instead of CPython's 700.
GC_YOUNGEST_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Every request allocates hundreds of short-lived containers, nearly all freed by reference
    counting; with CPython's default threshold the cycle collector ran every couple of requests.
    What start-up built (modules, catalog, fixtures) lives as long as the process and is frozen
    out of the collector's scans. Cyclic garbage still gets collected, in larger batches."""
    gc.freeze()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, *gc.get_threshold()[1:])


def serve(settings, state, make_app=None) -> int:
    """`make_app`: the ASGI app to serve in place of the emulator's (record mode's recorder)."""
    import uvicorn

    from emulator.app import build_app

    app = make_app(settings) if make_app is not None else build_app(settings, state)
    tune_garbage_collector()
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every answer written in two parts (headers, body) waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        print(f"ai-gateway-emulator: cannot listen on {settings.host}:{settings.port}: {exc.strerror}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    warning = exposure_warning(settings.host)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    state_file = state.saved.path if state.saved is not None else None
    print(banner(settings.host, port, settings.example_account_id, settings.example_api_token, state_file), flush=True)
    from emulator.front_door import guarded_protocol

    config = uvicorn.Config(app, log_level=settings.log_level, http=guarded_protocol(settings.front_door), **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0
