"""Reading the user's files: regular files only, opened without blocking, bounded.

Every reader of cases, arrays, models and input data opens through ``open_regular``.
Opening a named pipe blocks until something writes to it, and a device such as
/dev/zero never ends, so the path is opened non-blocking and refused, before a
byte is read, unless ``fstat`` of that very descriptor says it is a regular file
(no window between the check and the read).  A path that is not a regular file
is named for what it is, never "does not exist".
"""

import os
import stat
import zipfile

from .errors import CaseError

KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe (FIFO)",
         stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFSOCK: "a socket"}
# A .keras file is a zip; Keras stores its members uncompressed, so a member that
# inflates far beyond its stored size is a zip bomb, refused from the zip's directory.
MAX_EXPANSION = 100
EXPANSION_FLOOR = 16 * 1024 * 1024
MAX_JSON_MEMBER = 64 * 1024 * 1024     # config.json, metadata.json


def kind(mode):
    """'a folder', 'a named pipe (FIFO)', ... for an st_mode that is not a regular file."""
    return KINDS.get(stat.S_IFMT(mode), "not a regular file")


def problem(path, what):
    """Why ``path`` cannot be read as ``what`` (None when it is a regular file)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"does not exist; expected {what}"
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    return f"is {kind(mode)}, not a regular file; expected {what}"


def open_regular(path, what="a case file"):
    """``path`` opened for reading in binary, or CaseError when it is not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CaseError(f"does not exist; expected {what}", path) from None
    except OSError as exc:
        raise CaseError(f"cannot be read: {exc.strerror}; expected {what}", path) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise CaseError(f"is {kind(mode)}, not a regular file; expected {what}", path)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_bytes(path, what="a case file", limit=None, too_big=""):
    """The bytes of a regular file; a file over ``limit`` bytes is refused before it is
    read (``too_big`` says what to do instead)."""
    with open_regular(path, what) as handle:
        size = os.fstat(handle.fileno()).st_size
        if limit is not None and size > limit:
            raise CaseError(f"is {size:,} bytes, more than the {limit:,} {what} may have"
                            f"{'; ' + too_big if too_big else ''}", path)
        try:
            data = handle.read()
        except OSError as exc:
            raise CaseError(f"cannot be read: {exc.strerror}", path) from None
    if limit is not None and len(data) > limit:   # it grew while we read it
        raise CaseError(f"is more than the {limit:,} bytes {what} may have"
                        f"{'; ' + too_big if too_big else ''}", path)
    return data


def read_text(path, what="a case file", limit=None, too_big=""):
    """The UTF-8 text of a regular file, line endings kept as they are."""
    data = read_bytes(path, what, limit, too_big)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError(f"is not UTF-8 text; expected {what}", path) from None


def check_model_archive(path):
    """Refuse a .keras zip whose directory declares a member that would inflate into a
    bomb, before any member is inflated."""
    with open_regular(path, "a saved Keras model (.keras or .h5)") as handle:
        try:
            members = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise CaseError(f"is not a readable .keras model file (a zip archive holding "
                            f"config.json and the weights): {exc}", path) from None
    for member in members:
        if member.filename.endswith(".json") and member.file_size > MAX_JSON_MEMBER:
            raise CaseError(f"holds {member.filename} of {member.file_size:,} bytes, more "
                            f"than the {MAX_JSON_MEMBER:,} a model's description can need; "
                            "refused before inflating it", path)
        if (member.file_size > EXPANSION_FLOOR
                and member.file_size > MAX_EXPANSION * max(member.compress_size, 1)):
            raise CaseError(f"holds {member.filename}, which would inflate from "
                            f"{member.compress_size:,} to {member.file_size:,} bytes (more "
                            f"than {MAX_EXPANSION}x): a zip bomb, not a saved model; "
                            "refused before inflating it", path)
