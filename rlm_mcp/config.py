"""Every setting of rlm-mcp in one place: name, type, default, environment variable, doc.

Precedence: command-line flag > environment variable (RLM_*) > default. Nothing else in the
package reads os.environ; it asks a Settings object.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from rlm_mcp.errors import ConfigError

BackendName = Literal["auto", "docker", "local"]
HARD_MAX_OUTPUT_CHARS = 100_000
"""No per-call override may raise a tool result above this (Claude Code cuts at 25k tokens)."""


def _setting(default: Any, env: str, help: str) -> Any:
    return field(default=default, metadata={"env": env, "help": help})


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "rlm-mcp")


@dataclass(frozen=True)
class Settings:
    """The configuration of one rlm-mcp process."""

    backend: BackendName = _setting(
        "auto", "RLM_BACKEND", "where sandboxes run: docker, local (not isolated), or auto (docker if reachable)"
    )
    image: str = _setting(
        "rlm-mcp-sandbox:latest", "RLM_IMAGE", "Docker image for sandboxes; any image with python3 works"
    )
    memory: str = _setting("2g", "RLM_MEMORY", "memory limit of one sandbox (docker syntax: 512m, 2g)")
    cpus: float = _setting(2.0, "RLM_CPUS", "CPU limit of one sandbox, in cores")
    pids: int = _setting(256, "RLM_PIDS", "process/thread limit of one sandbox")
    scratch: str = _setting("256m", "RLM_SCRATCH", "size of the sandbox's writable /tmp (tmpfs)")
    exec_timeout_s: float = _setting(120.0, "RLM_EXEC_TIMEOUT", "default time limit of one exec, in seconds")
    interrupt_grace_s: float = _setting(
        3.0, "RLM_INTERRUPT_GRACE", "seconds an interrupted exec gets to stop before the sandbox is restarted"
    )
    start_timeout_s: float = _setting(30.0, "RLM_START_TIMEOUT", "seconds a new sandbox gets to report ready")
    max_output_chars: int = _setting(
        20_000, "RLM_MAX_OUTPUT_CHARS", f"default cap on text returned to the agent (hard max {HARD_MAX_OUTPUT_CHARS})"
    )
    cache_dir: str = _setting(
        _default_cache_dir(), "RLM_CACHE_DIR", "where the corpus index and sub-LLM response caches live"
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from RLM_* variables, then `overrides` (e.g. parsed flags) on top."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            raw = environ.get(spec.metadata["env"])
            if raw is not None and raw != "":
                values[spec.name] = _coerce(spec, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.backend not in get_args(BackendName):
            raise ConfigError(f"backend must be one of auto, docker, local; got {self.backend!r} (RLM_BACKEND)")
        if not 0 < self.max_output_chars <= HARD_MAX_OUTPUT_CHARS:
            raise ConfigError(f"max_output_chars must be in 1..{HARD_MAX_OUTPUT_CHARS} (RLM_MAX_OUTPUT_CHARS)")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One --flag per setting, documented with its env var and default."""
        for spec in dataclasses.fields(cls):
            flag = "--" + spec.name.replace("_", "-")
            kind = _base_type(spec)
            parser.add_argument(
                flag,
                dest=spec.name,
                type=kind if kind is not bool else _parse_bool,
                default=None,
                metavar=spec.name.upper(),
                help=f"{spec.metadata['help']} [env {spec.metadata['env']}; default {spec.default}]",
            )

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
        names = {spec.name for spec in dataclasses.fields(cls)}
        return cls.from_env(environ, **{k: v for k, v in vars(args).items() if k in names})

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _base_type(spec: dataclasses.Field[Any]) -> type:
    annotation = str(spec.type)
    for kind in (bool, int, float):
        if annotation.startswith(kind.__name__):
            return kind
    return str


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _coerce(spec: dataclasses.Field[Any], raw: str) -> Any:
    kind = _base_type(spec)
    try:
        return _parse_bool(raw) if kind is bool else kind(raw)
    except ValueError:
        raise ConfigError(
            f"{spec.metadata['env']}={raw!r} is not a valid {kind.__name__}: {spec.metadata['help']}"
        ) from None
