"""ai-gateway-emulator: an offline, deterministic Cloudflare AI Gateway."""

__version__ = "0.1.0"
