"""Every setting of rlm-mcp in one place: name, type, default, environment variable, doc.

Precedence: command-line flag > environment variable (RLM_*) > default. Nothing else in the
package reads os.environ; it asks a Settings object.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.screen import DEFAULT_SECRET_PATTERNS
from rlm_mcp.errors import ConfigError
from rlm_mcp.llm.config import BrokerConfig
from rlm_mcp.sizes import parse_size

BackendName = Literal["auto", "docker", "local"]
HARD_MAX_OUTPUT_CHARS = 100_000
"""No per-call override may raise a tool result above this (Claude Code cuts at 25k tokens)."""


def _setting(default: Any, env: str, help: str, *, zero_ok: bool = False, size: bool = False) -> Any:
    """A field of Settings. Numbers must be positive unless `zero_ok`; a `size` is a string such as 512m."""
    return field(default=default, metadata={"env": env, "help": help, "zero_ok": zero_ok, "size": size})


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "rlm-mcp")


@dataclass(frozen=True)
class Settings:
    """The configuration of one rlm-mcp process."""

    backend: BackendName = _setting(
        "auto",
        "RLM_BACKEND",
        "where sandboxes run: docker, local (not isolated), or auto (docker if reachable)",
    )
    image: str = _setting(
        "rlm-mcp-sandbox:latest", "RLM_IMAGE", "Docker image for sandboxes; any image with python3 works"
    )
    base_image: str = _setting(
        "python:3.12-slim",
        "RLM_BASE_IMAGE",
        "image the sandbox image is built FROM when it is missing (any with python3 >= 3.10; local ones need no pull)",
    )
    memory: str = _setting("2g", "RLM_MEMORY", "memory limit of one sandbox (docker syntax: 512m, 2g)", size=True)
    cpus: float = _setting(2.0, "RLM_CPUS", "CPU limit of one sandbox, in cores")
    pids: int = _setting(256, "RLM_PIDS", "process/thread limit of one sandbox")
    scratch: str = _setting("256m", "RLM_SCRATCH", "size of the sandbox's writable /tmp (tmpfs)", size=True)
    text_cache: str = _setting(
        "256m",
        "RLM_TEXT_CACHE",
        "file bytes and decoded texts one sandbox keeps for reuse, least recently used out first (within RLM_MEMORY)",
        size=True,
    )
    runtime: str | None = _setting(
        None, "RLM_RUNTIME", "OCI runtime of sandbox containers, e.g. runsc (gVisor) if the engine has it"
    )
    exec_timeout_s: float = _setting(120.0, "RLM_EXEC_TIMEOUT", "default time limit of one exec, in seconds")
    request_timeout_s: float = _setting(
        60.0, "RLM_REQUEST_TIMEOUT", "seconds the sandbox gets to answer any other request (load, vars, render)"
    )
    interrupt_grace_s: float = _setting(
        3.0,
        "RLM_INTERRUPT_GRACE",
        "seconds an interrupted exec gets to stop before the sandbox is restarted",
        zero_ok=True,
    )
    start_timeout_s: float = _setting(30.0, "RLM_START_TIMEOUT", "seconds a new sandbox gets to report ready")
    max_sessions: int = _setting(
        8, "RLM_MAX_SESSIONS", "sessions (each a sandbox with the limits above) one server keeps at once"
    )
    max_output_chars: int = _setting(
        20_000,
        "RLM_MAX_OUTPUT_CHARS",
        f"default cap on text returned to the agent (hard max {HARD_MAX_OUTPUT_CHARS})",
    )
    cache_dir: str = _setting(
        _default_cache_dir(), "RLM_CACHE_DIR", "where the corpus index and sub-LLM response caches live"
    )
    # -- the HTTP transport (serve --transport http)
    http_token: str | None = _setting(
        None,
        "RLM_HTTP_TOKEN",
        "bearer token HTTP clients must send (default: one made on first start, kept 0600 in <cache-dir>/http/token)",
    )
    http_allowed_hosts: str | None = _setting(
        None,
        "RLM_HTTP_ALLOWED_HOSTS",
        "comma-separated further Host names HTTP requests may use (loopback, the bind address and this machine always)",
    )
    http_allow_remote: bool = _setting(
        False, "RLM_HTTP_ALLOW_REMOTE", "serve HTTP on a non-loopback address (the token then crosses the network)"
    )
    http_session_idle_s: float = _setting(
        3600.0, "RLM_HTTP_SESSION_IDLE", "an HTTP client's session unused this many seconds is closed"
    )
    # -- loading a context
    chunk_tokens: int = _setting(1500, "RLM_CHUNK_TOKENS", "chunk budget in estimated tokens (bytes / 4)")
    max_file_bytes: int = _setting(2_000_000, "RLM_MAX_FILE_BYTES", "files larger than this are skipped")
    max_total_bytes: int = _setting(512_000_000, "RLM_MAX_TOTAL_BYTES", "stop loading files past this total")
    load_secrets: bool = _setting(
        False, "RLM_LOAD_SECRETS", "load files that look like secrets (.env*, *.pem, *.key, id_rsa*, ...)"
    )
    # -- sub-LLM calls
    model: str | None = _setting(
        None, "RLM_MODEL", "litellm model for sub-calls, e.g. anthropic/claude-haiku-4-5, openai/gpt-5-mini"
    )
    sub_model: str | None = _setting(None, "RLM_SUB_MODEL", "model for llm_query/llm_batch if not --model")
    allowed_models: str | None = _setting(
        None,
        "RLM_ALLOWED_MODELS",
        "comma-separated further models a sub-call may name (--model, --sub-model, --root-model always may)",
    )
    api_base: str | None = _setting(
        None, "RLM_API_BASE", "base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp)"
    )
    api_key: str | None = _setting(
        None,
        "RLM_API_KEY",
        "API key for --api-base; providers' own variables (ANTHROPIC_API_KEY...) also work",
    )
    llm_concurrency: int = _setting(16, "RLM_LLM_CONCURRENCY", "sub-calls in flight at once per session")
    llm_direct: bool = _setting(
        True,
        "RLM_LLM_DIRECT",
        "send openai/ and hosted_vllm/ sub-calls at --api-base straight to it, as litellm would (false: via litellm)",
    )
    llm_max_batch: int = _setting(100_000, "RLM_LLM_MAX_BATCH", "most prompts in one llm_batch or rlm_query")
    llm_timeout_s: float = _setting(120.0, "RLM_LLM_TIMEOUT", "seconds one sub-call attempt may take")
    llm_retries: int = _setting(
        4, "RLM_LLM_RETRIES", "retries on 429, 5xx, timeouts and connection errors", zero_ok=True
    )
    llm_start_interval_s: float = _setting(
        0.004,
        "RLM_LLM_START_INTERVAL",
        "minimum gap between sub-call starts through litellm (stops a burst from stalling)",
        zero_ok=True,
    )
    llm_backoff_base_s: float = _setting(
        0.5, "RLM_LLM_BACKOFF_BASE", "first retry waits about this long, doubling", zero_ok=True
    )
    llm_backoff_max_s: float = _setting(
        30.0, "RLM_LLM_BACKOFF_MAX", "longest wait between retries (caps Retry-After)", zero_ok=True
    )
    sampling_max_tokens: int = _setting(4096, "RLM_SAMPLING_MAX_TOKENS", "max_tokens of MCP sampling requests")
    max_calls: int | None = _setting(None, "RLM_MAX_CALLS", "sub-calls per session (unlimited if unset)", zero_ok=True)
    max_tokens: int | None = _setting(
        None, "RLM_MAX_TOKENS", "sub-call tokens per session (unlimited if unset)", zero_ok=True
    )
    max_cost_usd: float | None = _setting(None, "RLM_MAX_COST_USD", "sub-call spend per session in USD", zero_ok=True)
    llm_cache: bool = _setting(True, "RLM_LLM_CACHE", "answer repeated deterministic sub-calls from the disk cache")
    llm_cache_max_mb: int = _setting(
        512, "RLM_LLM_CACHE_MAX_MB", "past this size the sub-call cache drops its oldest answers", zero_ok=True
    )
    # -- rlm_ask: the server runs the RLM loop
    root_model: str | None = _setting(None, "RLM_ROOT_MODEL", "litellm model that drives rlm_ask (default: --model)")
    ask_max_iterations: int = _setting(12, "RLM_ASK_MAX_ITERATIONS", "root turns (code runs) of one rlm_ask")
    ask_max_seconds: float = _setting(600.0, "RLM_ASK_MAX_SECONDS", "wall time of one rlm_ask, in seconds")
    ask_max_tokens: int | None = _setting(
        None, "RLM_ASK_MAX_TOKENS", "root + sub-call tokens of one rlm_ask (unlimited if unset)", zero_ok=True
    )
    ask_max_cost_usd: float | None = _setting(
        None,
        "RLM_ASK_MAX_COST_USD",
        "root + sub-call spend of one rlm_ask in USD (unlimited if unset)",
        zero_ok=True,
    )
    ask_output_chars: int = _setting(6000, "RLM_ASK_OUTPUT_CHARS", "cap on each code output the root model reads")
    trajectory_dir: str | None = _setting(
        None,
        "RLM_TRAJECTORY_DIR",
        "where JSONL trajectories of tool calls and rlm_ask go (default <cache-dir>/trajectories)",
    )
    trajectories: bool = _setting(
        True, "RLM_TRAJECTORIES", "write trajectories at all (they hold exec output; 0600 files in a 0700 folder)"
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
        """Refuse a value no part of rlm-mcp could use, naming its flag and variable (ConfigError)."""
        for spec in dataclasses.fields(self):
            problem = _problem(spec, getattr(self, spec.name))
            if problem:
                raise ConfigError(f"{_names_of(spec)}: {getattr(self, spec.name)!r} is not valid: {problem}")
        if self.max_output_chars > HARD_MAX_OUTPUT_CHARS:
            raise ConfigError(f"{_names_of_field('max_output_chars')}: at most {HARD_MAX_OUTPUT_CHARS}")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One --flag per setting, documented with its env var and default."""
        for spec in dataclasses.fields(cls):
            parser.add_argument(
                _flag(spec),
                dest=spec.name,
                default=None,
                metavar=spec.name.upper(),
                help=f"{spec.metadata['help']} [env {spec.metadata['env']}; default {_shown_default(spec)}]",
            )

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from parsed flags (raw strings, parsed here like their variables) over RLM_* variables."""
        given = vars(args)
        flags = {
            spec.name: _coerce(spec, value) if isinstance(value, str) else value
            for spec in dataclasses.fields(cls)
            if (value := given.get(spec.name)) is not None
        }
        return cls.from_env(environ, **flags)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def broker_config(self) -> BrokerConfig:
        """The sub-LLM broker's share of the settings."""
        return BrokerConfig(
            model=self.model,
            sub_model=self.sub_model,
            allowed_models=tuple(name for name in (self.root_model, *_names(self.allowed_models)) if name),
            api_base=self.api_base,
            api_key=self.api_key,
            concurrency=self.llm_concurrency,
            direct=self.llm_direct,
            max_batch=self.llm_max_batch,
            timeout_s=self.llm_timeout_s,
            max_retries=self.llm_retries,
            backoff_base_s=self.llm_backoff_base_s,
            start_interval_s=self.llm_start_interval_s,
            backoff_max_s=self.llm_backoff_max_s,
            sampling_max_tokens=self.sampling_max_tokens,
            max_calls=self.max_calls,
            max_tokens=self.max_tokens,
            max_cost_usd=self.max_cost_usd,
            cache=self.llm_cache,
            cache_max_bytes=self.llm_cache_max_mb * 1_000_000,
        )

    def http_extra_hosts(self) -> list[str]:
        """The further Host names HTTP requests may use (RLM_HTTP_ALLOWED_HOSTS)."""
        return _names(self.http_allowed_hosts)

    def load_options(
        self,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        chunk_tokens: int | None = None,
    ) -> LoadOptions:
        """The corpus loader's share of the settings, with one call's filters."""
        return LoadOptions(
            include=tuple(include or ()),
            exclude=tuple(exclude or ()),
            secret_patterns=() if self.load_secrets else DEFAULT_SECRET_PATTERNS,
            max_file_bytes=self.max_file_bytes,
            max_total_bytes=self.max_total_bytes,
            chunk_tokens=chunk_tokens or self.chunk_tokens,
            cache_dir=Path(self.cache_dir) / "corpus",
        )


def variables_set(names: list[str]) -> list[str]:
    """Which of the environment variables `names` are set, for reports that name a key without reading it out."""
    return [name for name in names if os.environ.get(name)]


def _names(listed: str | None) -> list[str]:
    """The names in a comma-separated setting, without blanks."""
    return [name.strip() for name in (listed or "").split(",") if name.strip()]


def _shown_default(spec: dataclasses.Field[Any]) -> str:
    if spec.name in ("api_key", "http_token"):
        return "unset"
    return "unset" if spec.default is None else str(spec.default)


def _flag(spec: dataclasses.Field[Any]) -> str:
    return "--" + spec.name.replace("_", "-")


def _names_of(spec: dataclasses.Field[Any]) -> str:
    """How the user sets `spec`: its flag and its variable."""
    return f"{_flag(spec)} / {spec.metadata['env']}"


def _names_of_field(name: str) -> str:
    return _names_of(next(spec for spec in dataclasses.fields(Settings) if spec.name == name))


@functools.cache
def _annotations() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def _base_type(spec: dataclasses.Field[Any]) -> type:
    """bool, int, float or str: the type of a setting, whether or not it may be unset."""
    annotation = _annotations()[spec.name]
    kinds = [kind for kind in (get_args(annotation) or (annotation,)) if kind is not type(None)]
    return next((kind for kind in (bool, int, float) if kind in kinds), str)


def _choices(spec: dataclasses.Field[Any]) -> tuple[str, ...]:
    """The values a Literal-typed setting may take; () for any other setting."""
    annotation = _annotations()[spec.name]
    return tuple(get_args(annotation)) if typing.get_origin(annotation) is Literal else ()


def _problem(spec: dataclasses.Field[Any], value: Any) -> str | None:
    """What is wrong with `value` for `spec`, or None when it is usable."""
    choices = _choices(spec)
    if value is None:
        return None
    if choices:
        return None if value in choices else f"use one of {', '.join(choices)}"
    if spec.metadata.get("size"):
        try:
            parse_size(str(value))
        except ConfigError:
            return "write a size such as 512m or 2g"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return "use a finite number"
    if spec.metadata.get("zero_ok"):
        return None if value >= 0 else "use 0 or more"
    return None if value > 0 else "use a number above 0"


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number"}


def _coerce(spec: dataclasses.Field[Any], raw: str) -> Any:
    """A flag's or variable's text as the setting's type; ConfigError naming both when it is not one."""
    kind = _base_type(spec)
    try:
        return _parse_bool(raw) if kind is bool else kind(raw)
    except ValueError:
        raise ConfigError(f"{_names_of(spec)}: {raw!r} is not {_KIND_NAMES[kind]} ({spec.metadata['help']})") from None
