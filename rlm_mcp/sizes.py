"""Human sizes ("512m", "2g") as used by Docker, parsed once for every backend."""

from __future__ import annotations

from rlm_mcp.errors import ConfigError

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes in a size such as 512m, 2g, 1048576 (binary units, like Docker)."""
    cleaned = text.strip().lower().removesuffix("ib").removesuffix("b")
    number, unit = cleaned, ""
    if cleaned and cleaned[-1] in _UNITS:
        number, unit = cleaned[:-1], cleaned[-1]
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise ConfigError(f"not a size: {text!r}; write it like 512m or 2g") from None
    if value <= 0:
        raise ConfigError(f"size must be positive: {text!r}")
    return int(value)
