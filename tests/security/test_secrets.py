"""Secrets stay on the host: secret files are withheld by name, secret lines by content, symlinks are not followed.

Loads go through the real loader (and, for what the sandbox can read, a real Docker sandbox); the
fixtures are small fake credential files written under tmp_path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.corpus import LoadOptions, load_corpus
from rlm_mcp.errors import ContextError
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call
from tests.support.files import write_tree

pytestmark = pytest.mark.anyio

SECRET_FILES = (
    "prod.env",
    ".env.local",
    "config/secrets.json",
    "config/secrets.yaml",
    "config/secrets.yml",
    "config/secrets.toml",
    "infra/terraform.tfstate",
    "infra/terraform.tfstate.backup",
    "ops/.kube/config",
    "ops/kubeconfig-prod.yaml",
    "web/.htpasswd",
    "vpn/office.ovpn",
    "keys/putty.ppk",
    ".s3cfg",
    ".vault-token",
    "dot/.config/gh/hosts.yml",
    "dot/.cargo/credentials.toml",
    "gcloud/application_default_credentials.json",
    ".netrc",
    ".pgpass",
    "keys/id_ed25519",
    "tls/server.key",
    "tls/bundle.p12",
    ".npmrc",
    ".pypirc",
)

# Fake credentials in the providers' formats (none is real); each line holds one.
SECRET_LINES = {
    "aws-access-key": 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
    "github-token": "token = 'ghp_" + "a1B2c3D4e5" * 3 + "a1B2c3'",
    "github-fine-grained-token": "GITHUB_PAT=github_pat_" + "11ABCDEFG0" * 8 + "ab",
    "anthropic-or-openai-key": "client = Anthropic(api_key='sk-ant-api03-" + "x9Y8z7W6v5" * 9 + "AA')",
    "slack-token": "SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'",
}
PGP_BLOCK = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
    "\n"
    "lQOYBF3kFzkBCAC3xMo5ZkW0Jq8ZfakefakefakefakefakefakefakefakeAAA\n"
    "=abcd\n"
    "-----END PGP PRIVATE KEY BLOCK-----\n"
)


def skipped(corpus_source: Path | str, **options: object) -> dict[str, str]:
    corpus = load_corpus(corpus_source, LoadOptions(**options))  # type: ignore[arg-type]
    return {item.path: item.reason for item in corpus.skipped}


def test_a_symlink_out_of_the_context_is_never_followed(tmp_path: Path) -> None:
    """docs/setup.md -> ../../.aws/credentials: named on its own it is refused saying why; in a folder, skipped."""
    write_tree(tmp_path / "home" / ".aws", {"credentials": "[default]\naws_secret_access_key = x\n"})
    repo = write_tree(tmp_path / "home" / "repo", {"docs/index.md": "# Docs\n"})
    (repo / "docs" / "setup.md").symlink_to(Path("..") / ".." / ".aws" / "credentials")
    with pytest.raises(ContextError, match=r"symlink to .*credentials, outside the context"):
        load_corpus(repo / "docs" / "setup.md")
    assert skipped(repo)["docs/setup.md"] == "symlink_outside_root"
    assert [info.path for info in load_corpus(str(repo / "docs" / "*.md")).files] == ["index.md"]


@pytest.mark.parametrize(
    ("folder", "files"),
    [
        (".aws", {"credentials": "[default]\n", "config": "[profile x]\n"}),
        (".ssh", {"id_work": "key\n", "config": "Host *\n", "known_hosts": "host ssh-ed25519 AAAA\n"}),
        (".gnupg", {"pubring.kbx": "x\n", "gpg.conf": "keyserver x\n"}),
        (".kube", {"config": "apiVersion: v1\nusers: []\n"}),
        (".docker", {"config.json": '{"auths": {}}\n'}),
        (".config/gh", {"hosts.yml": "github.com:\n  oauth_token: x\n"}),
    ],
)
def test_loading_a_credentials_folder_itself_is_screened(tmp_path: Path, folder: str, files: dict[str, str]) -> None:
    """~/.aws, ~/.ssh, ~/.gnupg, ~/.kube, ~/.docker, ~/.config/gh loaded as the folder: their secrets do not load."""
    root = write_tree(tmp_path / "home" / folder, files)
    with pytest.raises(ContextError, match="every file was skipped"):
        load_corpus(root)


def test_every_common_secret_file_name_is_withheld(tmp_path: Path) -> None:
    """Env files, secrets.*, Terraform state, kubeconfigs, htpasswd, VPN and PuTTY keys, tool tokens: all withheld."""
    repo = write_tree(tmp_path / "repo", {name: "placeholder\n" for name in SECRET_FILES} | {"main.py": "x = 1\n"})
    corpus = load_corpus(repo)
    assert [info.path for info in corpus.files] == ["main.py"]
    reasons = {item.path: item.reason for item in corpus.skipped}
    withheld = {name for name in SECRET_FILES if any(name.startswith(path) for path in reasons)}
    assert withheld == set(SECRET_FILES) and set(reasons.values()) == {"secret"}


def test_a_named_secret_file_is_refused(tmp_path: Path) -> None:
    """A secret file named on its own is refused with the pattern to remove if it is safe."""
    write_tree(tmp_path, {"prod.env": "TOKEN=1\n"})
    with pytest.raises(ContextError, match="looks like a secret"):
        load_corpus(tmp_path / "prod.env")


def secret_source() -> tuple[str, list[int]]:
    """A Python file with each kind of secret line and a PGP key block, and the 1-based lines that hold them."""
    lines = ["import os", ""]
    secret_lines = []
    for text in SECRET_LINES.values():
        lines += [text, "print('ordinary line')"]
        secret_lines.append(len(lines) - 1)
    start = len(lines) + 1
    lines += PGP_BLOCK.rstrip("\n").split("\n")
    secret_lines += list(range(start, len(lines) + 1))
    lines.append("def after():\n    return 1")
    return "\n".join(lines) + "\n", secret_lines


def test_secret_lines_are_withheld_keeping_every_line_number(tmp_path: Path) -> None:
    """The file loads; its secret lines become markers, other lines stay where they were, the manifest says which."""
    text, secret_lines = secret_source()
    repo = write_tree(tmp_path / "repo", {"app/settings.py": text})
    corpus = load_corpus(repo)
    assert [info.path for info in corpus.files] == ["app/settings.py"]
    redacted = corpus.redacted["app/settings.py"].decode()
    original_lines, kept_lines = text.split("\n"), redacted.split("\n")
    assert len(kept_lines) == len(original_lines)
    for number, (before, after) in enumerate(zip(original_lines, kept_lines, strict=True), start=1):
        if number in secret_lines:
            assert after.startswith("[secret withheld: "), (number, after)
        else:
            assert after == before
    for secret in ("AKIAIOSFODNN7EXAMPLE", "ghp_", "github_pat_", "sk-ant-", "xoxb-", "lQOYBF3k"):
        assert secret not in redacted
        assert all(secret not in chunk.symbol for chunk in corpus.chunks)
    info = corpus.files[0]
    assert info.size == len(corpus.redacted[info.path]) and info.lines == redacted.count("\n")
    manifest = corpus.manifest()["withheld_lines"]
    assert manifest["files"] == 1 and manifest["lines"] == len(secret_lines)
    kinds = {span["kind"] for span in manifest["samples"]["app/settings.py"]}
    assert kinds == {*SECRET_LINES, "private-key"}


def test_a_warm_reload_withholds_the_same_lines(tmp_path: Path) -> None:
    """With the index cache, the second load still ships the redacted text, not the file's bytes."""
    text, _ = secret_source()
    repo = write_tree(tmp_path / "repo", {"settings.py": text, "other.py": "x = 1\n"})
    options = LoadOptions(cache_dir=tmp_path / "cache")
    first, second = load_corpus(repo, options), load_corpus(repo, options)
    assert second.stats.reused_files == 1
    assert second.redacted == first.redacted and "AKIA" not in second.redacted["settings.py"].decode()


def test_line_screening_can_be_turned_off(tmp_path: Path) -> None:
    """screen_lines=False loads the file's bytes as they are (what the bench compares against)."""
    text, _ = secret_source()
    corpus = load_corpus(write_tree(tmp_path / "repo", {"settings.py": text}), LoadOptions(screen_lines=False))
    assert corpus.redacted == {} and corpus.files[0].size == len(text.encode())


async def test_the_sandbox_cannot_read_a_redacted_file_from_the_mount(
    docker_ready: None, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """The raw bytes of a file whose lines were withheld are hidden in the mount (its text comes from the host)."""
    text, _ = secret_source()
    repo = write_tree(tmp_path / "repo", {"settings.py": text, "main.py": "x = 1\n"})
    async with Client(build_server(make_settings(backend="docker")), raise_exceptions=True) as client:
        manifest = json.loads(await call(client, "rlm_load_context", source=str(repo)))
        inside = manifest["sandbox"]["context_path"]
        code = f"import os\nwith open({inside + '/settings.py'!r}, 'rb') as f:\n    print('RAW=' + repr(f.read()))"
        output = await call(client, "rlm_exec", code=code)
    assert "RAW=b''" in output and "AKIA" not in output
