"""Writing the user's files: atomically, and only the way the user's own shell would.

``write_atomic`` is the one writer of cases, reports and exports.  It writes the
file the user named: through a symbolic link to its target (the link stays a
link), keeping the file's mode and owner; a read-only file is refused, as the
shell refuses ``>`` into it, and so is anything that is not a regular file (a
device, a FIFO, a folder), even with --force.  The data goes to a temporary file
next to the target that then replaces it with one rename, so a reader sees the old
file or the new one, never half of one; SIGINT, SIGTERM and SIGHUP during the
write remove the temporary file before the process ends.  A file with more than
one hard link, or one whose owner we could not give the new file, is rewritten
in place instead (a rename would cut the other links, or hand the file to us),
with those signals held until the write is complete.
"""

import os
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import CaseError
from .reading import kind

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name))
MAX_NAME_BYTES = 255


def check_target(path, overwrite=False):
    """The file a write to ``path`` would change, symlinks followed, after checking that
    it may be written: CaseError (nothing written) when it may not."""
    path = Path(path)
    target = Path(os.path.realpath(path))   # through links, to the file the user means
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise CaseError(f"cannot be written: {exc.strerror}", path) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise CaseError(f"is {kind(info.st_mode)}, not a regular file; lstm-verify writes "
                        "only regular files and will not write into it, even with --force",
                        path)
    if (info is not None or os.path.lexists(path)) and not overwrite:
        raise CaseError("already exists; pass --force to replace it", path)
    if info is not None and not os.access(target, os.W_OK, effective_ids=_effective()):
        raise CaseError(f"is read-only (mode {stat.filemode(info.st_mode)}), so it is not "
                        "replaced, as the shell would not write to it either; make it "
                        "writable first (chmod u+w) if you mean to", path)
    folder = target.parent
    if not folder.is_dir():
        raise CaseError(f"cannot be written: the folder {folder} does not exist", path)
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=_effective()):
        raise CaseError(f"cannot be written: no permission to create files in the folder "
                        f"{folder}", path)
    if len(os.fsencode(target.name)) > MAX_NAME_BYTES:
        raise CaseError(f"cannot be written: its name is longer than the {MAX_NAME_BYTES} "
                        "bytes a file name may have", path)
    return target


def write_atomic(path, data, overwrite=False, unchanged=None):
    """Write ``data`` (str or bytes) to ``path`` as described above; return ``path``.

    An existing file is refused (CaseError) unless ``overwrite``.  With ``unchanged``
    (bytes), the file must still hold exactly those bytes just before it is replaced,
    or nothing is written: a command that computed from the file does not overwrite
    an edit made meanwhile."""
    target = check_target(path, overwrite)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    try:
        if info is not None and (info.st_nlink > 1 or not _can_own_like(info)):
            with _signals(deferred=True):
                _check_unchanged(target, unchanged, path)
                _rewrite_in_place(target, raw)
        else:
            with _signals(deferred=False):
                _replace(target, raw, info, unchanged, path)
    except OSError as exc:
        raise CaseError(f"cannot be written: {exc.strerror}", path) from None
    return path


def _replace(target, raw, info, unchanged, path):
    fd, tmp = _temporary(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if info is None:
            os.chmod(tmp, 0o666 & ~_umask())
        else:   # owner first: chown clears set-id bits that chmod then restores
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                os.chown(tmp, info.st_uid, info.st_gid)
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
        _check_unchanged(target, unchanged, path)
        os.replace(tmp, target)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _temporary(target):
    """A new hidden file next to ``target`` whose name stays within MAX_NAME_BYTES."""
    stem = os.fsencode(target.name)[:MAX_NAME_BYTES - 40].decode("utf-8", "ignore")
    try:
        return tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=target.parent)
    except PermissionError:
        raise CaseError(f"cannot be written: no permission to create files in the folder "
                        f"{target.parent}", target) from None


def _rewrite_in_place(target, raw):
    with open(target, "r+b") as handle:
        handle.write(raw)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _check_unchanged(target, unchanged, path):
    if unchanged is None:
        return
    with open(target, "rb") as handle:
        now = handle.read(len(unchanged) + 1)
    if now != unchanged:
        raise CaseError("changed while lstm-verify was working on it (another program or "
                        "editor wrote it); nothing was written: run the command again", path)


@contextmanager
def _signals(deferred):
    """SIGINT, SIGTERM and SIGHUP as exceptions while a write is under way: raised at once
    (the caller removes its temporary file) or, ``deferred``, once the write is done."""
    caught = []

    def handler(signum, frame):
        if deferred:
            caught.append(signum)
        else:
            _stop(signum)

    try:   # a signal the process ignores (nohup, a background job) stays ignored
        previous = {signum: signal.signal(signum, handler) for signum in SIGNALS
                    if signal.getsignal(signum) is not signal.SIG_IGN}
    except ValueError:   # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
    if caught:
        _stop(caught[0])


def _stop(signum):
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _can_own_like(info):
    """True when a new file of ours can be given ``info``'s owner and group."""
    if os.geteuid() == 0:
        return True
    return info.st_uid == os.geteuid() and (info.st_gid == os.getegid()
                                            or info.st_gid in os.getgroups())


def _effective():
    return os.access in os.supports_effective_ids


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
