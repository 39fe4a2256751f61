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

from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.screen import DEFAULT_SECRET_PATTERNS
from rlm_mcp.errors import ConfigError
from rlm_mcp.llm.config import BrokerConfig

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
        "auto",
        "RLM_BACKEND",
        "where sandboxes run: docker, local (not isolated), or auto (docker if reachable)",
    )
    image: str = _setting(
        "rlm-mcp-sandbox:latest", "RLM_IMAGE", "Docker image for sandboxes; any image with python3 works"
    )
    memory: str = _setting("2g", "RLM_MEMORY", "memory limit of one sandbox (docker syntax: 512m, 2g)")
    cpus: float = _setting(2.0, "RLM_CPUS", "CPU limit of one sandbox, in cores")
    pids: int = _setting(256, "RLM_PIDS", "process/thread limit of one sandbox")
    scratch: str = _setting("256m", "RLM_SCRATCH", "size of the sandbox's writable /tmp (tmpfs)")
    runtime: str | None = _setting(
        None, "RLM_RUNTIME", "OCI runtime of sandbox containers, e.g. runsc (gVisor) if the engine has it"
    )
    exec_timeout_s: float = _setting(120.0, "RLM_EXEC_TIMEOUT", "default time limit of one exec, in seconds")
    request_timeout_s: float = _setting(
        60.0, "RLM_REQUEST_TIMEOUT", "seconds the sandbox gets to answer any other request (load, vars, render)"
    )
    interrupt_grace_s: float = _setting(
        3.0, "RLM_INTERRUPT_GRACE", "seconds an interrupted exec gets to stop before the sandbox is restarted"
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
    llm_max_batch: int = _setting(100_000, "RLM_LLM_MAX_BATCH", "most prompts in one llm_batch or rlm_query")
    llm_timeout_s: float = _setting(120.0, "RLM_LLM_TIMEOUT", "seconds one sub-call attempt may take")
    llm_retries: int = _setting(4, "RLM_LLM_RETRIES", "retries on 429, 5xx, timeouts and connection errors")
    llm_start_interval_s: float = _setting(
        0.004, "RLM_LLM_START_INTERVAL", "minimum gap between sub-call starts (stops a burst from stalling)"
    )
    llm_backoff_base_s: float = _setting(0.5, "RLM_LLM_BACKOFF_BASE", "first retry waits about this long, doubling")
    llm_backoff_max_s: float = _setting(30.0, "RLM_LLM_BACKOFF_MAX", "longest wait between retries (caps Retry-After)")
    sampling_max_tokens: int = _setting(4096, "RLM_SAMPLING_MAX_TOKENS", "max_tokens of MCP sampling requests")
    max_calls: int | None = _setting(None, "RLM_MAX_CALLS", "sub-calls per session (unlimited if unset)")
    max_tokens: int | None = _setting(None, "RLM_MAX_TOKENS", "sub-call tokens per session (unlimited if unset)")
    max_cost_usd: float | None = _setting(None, "RLM_MAX_COST_USD", "sub-call spend per session in USD")
    llm_cache: bool = _setting(True, "RLM_LLM_CACHE", "answer repeated deterministic sub-calls from the disk cache")
    llm_cache_max_mb: int = _setting(
        512, "RLM_LLM_CACHE_MAX_MB", "past this size the sub-call cache drops its oldest answers"
    )
    # -- rlm_ask: the server runs the RLM loop
    root_model: str | None = _setting(None, "RLM_ROOT_MODEL", "litellm model that drives rlm_ask (default: --model)")
    ask_max_iterations: int = _setting(12, "RLM_ASK_MAX_ITERATIONS", "root turns (code runs) of one rlm_ask")
    ask_max_seconds: float = _setting(600.0, "RLM_ASK_MAX_SECONDS", "wall time of one rlm_ask, in seconds")
    ask_max_tokens: int | None = _setting(
        None, "RLM_ASK_MAX_TOKENS", "root + sub-call tokens of one rlm_ask (unlimited if unset)"
    )
    ask_max_cost_usd: float | None = _setting(
        None, "RLM_ASK_MAX_COST_USD", "root + sub-call spend of one rlm_ask in USD (unlimited if unset)"
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
        if self.backend not in get_args(BackendName):
            raise ConfigError(f"backend must be one of auto, docker, local; got {self.backend!r} (RLM_BACKEND)")
        if self.max_sessions < 1:
            raise ConfigError(f"max_sessions must be at least 1; got {self.max_sessions} (RLM_MAX_SESSIONS)")
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
                help=f"{spec.metadata['help']} [env {spec.metadata['env']}; default {_shown_default(spec)}]",
            )

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
        names = {spec.name for spec in dataclasses.fields(cls)}
        return cls.from_env(environ, **{k: v for k, v in vars(args).items() if k in names})

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


def _names(listed: str | None) -> list[str]:
    """The names in a comma-separated setting, without blanks."""
    return [name.strip() for name in (listed or "").split(",") if name.strip()]


def _shown_default(spec: dataclasses.Field[Any]) -> str:
    if spec.name in ("api_key", "http_token"):
        return "unset"
    return "unset" if spec.default is None else str(spec.default)


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
