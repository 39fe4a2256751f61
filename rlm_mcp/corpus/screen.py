"""Which files may be loaded at all: secrets, binaries, and their tell-tale names and contents.

Secrets must never reach a sub-LLM by accident, so likely-secret files are refused by name
by default and private keys are also caught by content.
"""

from __future__ import annotations

import re

# Gitignore-style patterns; configurable through ``LoadOptions.secret_patterns``. A pattern with
# a slash is anchored at the root in gitignore syntax, hence the ``**/`` prefixes.
DEFAULT_SECRET_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.asc",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    "credentials.json",
    "client_secret*.json",
    "service-account*.json",
    "*.tfvars",
    "**/.aws/credentials",
    "**/.aws/config",
    "**/.docker/config.json",
    "**/.kube/config",
    "secrets.yml",
    "secrets.yaml",
)

# Skipped without reading them: known binary formats (others are caught by content).
BINARY_EXTENSIONS = frozenset(
    """
    .a .o .so .dylib .dll .exe .lib .obj .pyc .pyo .pyd .class .jar .war .whl .egg
    .zip .gz .tgz .bz2 .xz .zst .7z .rar .tar .lz4 .png .jpg .jpeg .gif .bmp .ico .webp .tiff
    .psd .mp3 .mp4 .wav .ogg .flac .avi .mov .mkv .webm .au .aiff .pdf .doc .docx .xls .xlsx
    .ppt .pptx .ttf .otf .woff .woff2 .eot .bin .dat .db .sqlite .sqlite3 .pkl .pickle .npy
    .npz .pt .pth .onnx .safetensors .h5 .parquet .wasm
    """.split()  # noqa: SIM905 - a word list reads better than 70 one-per-line literals
)

_SNIFF_BYTES = 8192
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]{0,200}?[A-Za-z0-9+/]{40}")


def has_binary_extension(path: str) -> bool:
    """Whether the name alone says the file is binary (images, archives, objects, ...)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in BINARY_EXTENSIONS


def content_problem(data: bytes) -> str | None:
    """Why these bytes must not be loaded (``"binary"`` or ``"secret"``), or ``None`` if fine.

    Binary means a NUL byte in the first 8 KiB (UTF-16 text counts as binary); secret means
    an embedded private key block with key material.
    """
    if b"\0" in data[:_SNIFF_BYTES]:
        return "binary"
    if b"PRIVATE KEY-----" in data and _PRIVATE_KEY.search(data):
        return "secret"
    return None
