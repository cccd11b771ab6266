"""Where the built-in fixtures and schemas live, installed or in a checkout."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE / "_data"


def _data_dir(name: str) -> Path:
    installed = _INSTALLED / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


FIXTURES_DIR = _data_dir("fixtures")
SCHEMAS_DIR = _data_dir("schemas")
