"""Merging one server entry into a client's JSON or TOML file without losing anything else in it.

The file is read, the entry replaced or added under the servers key, the result checked by parsing it
back, the original kept beside it as `<name>.bak`, and the new text moved into place in one rename.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from rlm_mcp.errors import ConfigError


def merged_json(existing: str, servers_key: str, name: str, entry: dict[str, Any], path: Path) -> str:
    """`existing` (a JSON object, or empty) with `entry` as `servers_key.name`; every other key kept."""
    try:
        document = json.loads(existing) if existing.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not plain JSON ({exc}; comments are not kept): fix it, or add the entry that "
            "`--print` shows by hand"
        ) from None
    servers = document.get(servers_key, {}) if isinstance(document, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f"{path}: expected an object with an object under {servers_key!r}; add the entry by hand")
    document[servers_key] = {**servers, name: entry}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def toml_table(servers_key: str, name: str, entry: dict[str, Any]) -> str:
    """`entry` as one `[servers_key.name]` table of strings, integers and string lists."""
    lines = [f"[{servers_key}.{_toml_key(name)}]"]
    lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def merged_toml(existing: str, servers_key: str, name: str, entry: dict[str, Any], path: Path) -> str:
    """`existing` TOML with its `[servers_key.name]` table (and sub-tables) replaced by `entry`'s.

    The lines are cut by text, so the result must parse to `existing` with only that entry changed.
    """
    before = _parsed(existing, path)
    servers = before.get(servers_key, {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{path}: {servers_key} is not a table; add the table `--print` shows by hand")
    header = re.compile(rf"^\s*\[\s*{re.escape(servers_key)}\s*\.\s*{re.escape(_toml_key(name))}\s*[\].]")
    kept: list[str] = []
    skipping = False
    for line in existing.splitlines(keepends=True):
        if line.lstrip().startswith("["):
            skipping = bool(header.match(line))
        if not skipping:
            kept.append(line)
    text = "".join(kept).rstrip("\n")
    if name in _parsed(text, path).get(servers_key, {}):
        raise ConfigError(f"{path} defines {servers_key}.{name} inline: remove it, then run setup again")
    merged = (text + "\n\n" if text else "") + toml_table(servers_key, name, entry)
    if _parsed(merged, path) != {**before, servers_key: {**servers, name: entry}}:
        raise ConfigError(
            f"{path}: merging {servers_key}.{name} would change more than that entry; add the table `--print` "
            "shows by hand"
        )
    return merged


def write_with_backup(path: Path, text: str) -> Path | None:
    """Replace `path` with `text` in one rename, keeping its mode; returns the backup of the old file, if any."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        backup = path.with_name(path.name + ".bak")
        shutil.copy2(path, backup)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if backup is not None:
            shutil.copymode(backup, temporary)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return backup


def _parsed(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML ({exc}): fix it, or add the table `--print` shows by hand"
        ) from None


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")
