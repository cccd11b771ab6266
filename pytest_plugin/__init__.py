"""pytest plugin: an AI Gateway emulator for downstream test suites."""
