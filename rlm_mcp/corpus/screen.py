"""Which files may be loaded at all: secret files by their names, binaries by name and content.

Secret files must never reach a sub-LLM by accident, so likely-secret names are refused by
default; secret lines inside ordinary files are withheld separately (corpus/secrets.py).
"""

from __future__ import annotations

from rlm_mcp.corpus.junk import junk_by_content

# Gitignore-style patterns; configurable through ``LoadOptions.secret_patterns``. A pattern with
# a slash is anchored at the root in gitignore syntax, hence the ``**/`` prefixes. They are also
# matched against the root's own folders, so loading ``~/.aws`` itself is screened like ``.aws/``.
DEFAULT_SECRET_PATTERNS: tuple[str, ...] = (
    ".env*",
    "*.env",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.asc",
    "*.gpg",
    "*.ppk",
    "*.ovpn",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "id_xmss*",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".htpasswd",
    ".s3cfg",
    ".vault-token",
    ".git-credentials",
    "credentials.json",
    "credentials.toml",
    "application_default_credentials.json",
    "client_secret*.json",
    "service-account*.json",
    "secrets.json",
    "secrets.toml",
    "secrets.yml",
    "secrets.yaml",
    "*.tfvars",
    "*.tfstate",
    "*.tfstate.*",
    "kubeconfig*",
    "**/.kube/config",
    "**/.docker/config.json",
    "**/.cargo/credentials",
    "**/gh/hosts.yml",
    ".aws/",
    ".ssh/",
    ".gnupg/",
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


def has_binary_extension(path: str) -> bool:
    """Whether the name alone says the file is binary (images, archives, objects, ...)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in BINARY_EXTENSIONS


def content_problem(data: bytes, junk: bool = True) -> str | None:
    """Why these bytes are not loaded: ``"binary"`` (a NUL in the first 8 KiB), a junk reason, or ``None``.

    UTF-16 text counts as binary; ``junk=False`` loads generated and minified text too (the agent asked
    for those files by name). Secrets inside text are withheld line by line (corpus/secrets.py).
    """
    if b"\0" in data[:_SNIFF_BYTES]:
        return "binary"
    return (junk_by_content(data) or None) if junk else None
