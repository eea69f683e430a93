"""Writing files the safe way: atomically, and never over a user's file unless told to."""

import os
import tempfile
from pathlib import Path

from .errors import CaseError


def write_atomic(path, data, overwrite=False):
    """Write ``data`` (str or bytes) to ``path`` atomically.

    The data goes to a temporary file in the same folder, which then replaces
    ``path`` with os.replace, so a reader sees the old file or the new one, never
    half of one.  An existing file is refused (CaseError) unless ``overwrite``.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise CaseError("already exists; pass --force to replace it", path)
    if path.is_dir():
        raise CaseError("is a folder, expected a file name to write", path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CaseError(f"cannot be written: the folder {folder} does not exist", path)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():  # keep the user's permissions when replacing
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
