"""Files only the server's user may read: 0700 folders, 0600 files, replaced atomically.

Caches, trajectories and tokens hold exec output, sub-call answers and credentials; other local
users must not read them, whatever the umask. Folders that already exist are left as they are
(a configured folder may be shared), but every file written through here is 0600.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """`path` as a folder, each missing component created 0700; return it."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made by a concurrent server: fine
            continue
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` (and its folder) 0600 if missing, or narrow an existing one to 0600; return it."""
    private_folder(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def open_private_append(path: Path) -> IO[str]:
    """`path` opened for appending text, created 0600 in a 0700 folder if missing."""
    return open(private_file(path), "a", encoding="utf-8")


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, so a concurrent reader sees the old file or the new one, never half."""
    private_folder(path.parent)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.chmod(temporary, FILE_MODE)  # an older temporary file may have been wider
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
