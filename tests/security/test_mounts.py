"""The sandbox sees only what the manifest lists: the mount is cut to the context, withheld paths are hidden.

Each test loads through the MCP tools into a real Docker sandbox, then looks around from inside it
as hostile code would: listing the mount, opening withheld files by their host-side names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.corpus import load_corpus
from rlm_mcp.errors import ContextError
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error

pytestmark = pytest.mark.anyio

# Prints what the sandbox can reach under its context mount: every file it can read, with its bytes.
LOOK_AROUND = """
import json, os
seen = {}
for folder, subfolders, names in os.walk('/context'):
    for name in names:
        path = os.path.join(folder, name)
        try:
            with open(path, 'rb') as handle:
                seen[path] = handle.read(200).decode('utf-8', 'replace')
        except OSError as error:
            seen[path] = 'unreadable: ' + type(error).__name__
print('SEEN=' + json.dumps(seen, sort_keys=True))
"""


@pytest.fixture
def docker_settings(docker_ready: None, make_settings: Callable[..., Settings]) -> Settings:
    """Settings of a docker-backed server (the mounts under test exist only there)."""
    return make_settings(backend="docker")


async def look_around(client: Client) -> dict[str, str]:
    """What sandbox code can read under /context: path -> first bytes (or why not)."""
    output = await call(client, "rlm_exec", code=LOOK_AROUND)
    line = next(line for line in output.splitlines() if line.startswith("SEEN="))
    seen: dict[str, str] = json.loads(line.removeprefix("SEEN="))
    return seen


def readable(seen: dict[str, str]) -> dict[str, str]:
    """The files of `seen` whose content the sandbox actually got (a mask reads as empty or fails)."""
    return {path: text for path, text in seen.items() if text and not text.startswith("unreadable: ")}


async def test_a_glob_mounts_the_folder_of_its_matches_only(docker_settings: Settings, tmp_path: Path) -> None:
    """A glob rooted high up shows the sandbox the deepest folder holding its matches, not its root."""
    (tmp_path / "repo" / "app").mkdir(parents=True)
    (tmp_path / "repo" / "app" / "hostname").write_text("web-1\n")
    (tmp_path / "repo" / "private.txt").write_text("not part of the context\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("neither\n")
    async with Client(build_server(docker_settings), raise_exceptions=True) as client:
        manifest = json.loads(await call(client, "rlm_load_context", source=str(tmp_path / "r*o" / "app" / "host*")))
        assert manifest["files"] == 1
        seen = await look_around(client)
    assert seen == {f"{manifest['sandbox']['context_path']}/repo/app/hostname": "web-1\n"}


async def test_withheld_files_in_a_loaded_folder_cannot_be_read(docker_settings: Settings, tmp_path: Path) -> None:
    """Secret files, ignored folders and .git stay on disk under the mount, yet the sandbox reads none of them."""
    repo = tmp_path / "repo"
    files = {
        "main.py": "print('hi')\n",
        ".env": "DB_PASSWORD=hunter2\n",
        "config/prod.env": "TOKEN=abc\n",
        ".gitignore": "local/\n",
        "local/notes.txt": "ignored, never screened\n",
        ".git/config": "[remote]\nurl = https://user:token@example.invalid/x\n",
        "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n",
    }
    for relative, text in files.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(text)
    async with Client(build_server(docker_settings), raise_exceptions=True) as client:
        manifest = json.loads(await call(client, "rlm_load_context", source=str(repo)))
        seen = await look_around(client)
    inside = manifest["sandbox"]["context_path"]
    assert set(readable(seen)) == {f"{inside}/main.py", f"{inside}/.gitignore"}
    assert manifest["files"] == 2


async def test_a_file_with_secret_lines_reads_redacted_and_its_real_bytes_are_hidden(
    docker_settings: Settings, tmp_path: Path
) -> None:
    """Code sees the withheld lines as markers (line numbers kept) through files/read/grep, never the key itself."""
    repo = tmp_path / "repo"
    repo.mkdir()
    key = "AKIA" + "Q" * 16
    (repo / "settings.py").write_text(f"DEBUG = True\nAWS_KEY = '{key}'\nNAME = 'app'\n")
    async with Client(build_server(docker_settings), raise_exceptions=True) as client:
        await call(client, "rlm_load_context", source=str(repo))
        out = await call(client, "rlm_exec", code="print(read('settings.py', 2, 3)); grep('NAME')[0].line")
        seen = await look_around(client)
    assert "secret withheld" in out and "NAME = 'app'" in out and "[value]\n3" in out and key not in out
    assert not any(key in text for text in seen.values())


async def test_system_folders_are_refused_as_a_context(docker_settings: Settings) -> None:
    """`/`, `/etc` and a glob searching `/` (`/e*c/hostname`) are refused with the fix, before any sandbox starts."""
    async with Client(build_server(docker_settings), raise_exceptions=True) as client:
        for source in ("/", "/etc", "/proc", "/e*c/hostname", "/usr/*/python3*"):
            error = await call_error(client, "rlm_load_context", source=source)
            assert "system or home folder" in error and "load the project folder" in error, source
        assert "no sandbox running" in await call(client, "rlm_status")


def test_a_file_named_in_a_system_folder_loads_alone(tmp_path: Path) -> None:
    """Naming one file of /etc is fine: only that file is exposed."""
    corpus = load_corpus("/etc/hostname")
    assert corpus.exposure is not None
    assert corpus.exposure.mounts("/context") == {Path("/etc/hostname"): "/context/hostname"}
    assert corpus.exposure.masked("/context") == ()


def test_too_many_paths_to_hide_fall_back_to_mounting_files_one_by_one() -> None:
    """Past MAX_MASKS hidden paths the listed files are mounted singly; past that too, the load is refused."""
    from rlm_mcp.corpus.exposure import MAX_MASKS, expose

    root = Path("/srv/repo")
    listed = [f"src/f{i}.py" for i in range(10)]
    withheld = [(f"src/f{i}.env", "secret") for i in range(MAX_MASKS + 1)]
    exposure = expose(root, "folder", listed, (), withheld)
    assert exposure.hidden == () and set(exposure.mounts("/context")) == {root / path for path in listed}
    with pytest.raises(ContextError, match="more than the sandbox can hide"):
        expose(root, "folder", [f"src/g{i}.py" for i in range(MAX_MASKS + 1)], (), withheld)


def test_folders_without_a_loaded_file_are_hidden_whole() -> None:
    """Withheld files in folders holding no listed file cost one mask for the outermost such folder."""
    from rlm_mcp.corpus.exposure import expose

    exposure = expose(
        Path("/srv/repo"),
        "folder",
        ["src/main.py"],
        (),
        [("src/.env", "secret"), ("assets/a.png", "binary"), ("assets/deep/b.png", "binary"), ("src/x.bin", "binary")],
    )
    assert exposure.hidden == ("assets/", "src/.env", "src/x.bin")
