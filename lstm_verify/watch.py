"""``watch PATH``: keep Keras loaded and re-verify a case each time it is saved.

The file is polled (no new dependency): a change of mtime, size or content hash
triggers a run.  Editors that save by writing a new file and renaming it over
the old one are handled because the path is stat-ed afresh each poll; a file
that is missing for a moment or half-written shows its error and is watched on.
A case that keeps arrays in a sibling ``.npz`` (top-level ``arrays:``) is re-run
when that file changes too.
"""

import hashlib
import os
import sys
import time
from pathlib import Path

import yaml

from . import reading
from .errors import CaseError
from .render.safe_text import markup
from .case.yaml_source import MAX_FILE_BYTES


_ARRAYS = {}   # (case path, sha256) -> the .npz that version of the case names


def fingerprint(path):
    """(mtime, size, sha256) of the case, with (mtime, size, inode) of the .npz it names;
    None while the case does not exist; (its problem, mtime, size) while it is not a
    regular file that can be read (a FIFO is never opened for reading: it could block)."""
    try:
        text = reading.read_bytes(path, limit=MAX_FILE_BYTES)
        stat = path.stat()
    except (CaseError, OSError) as exc:   # between an editor's unlink and rename, say
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return str(exc), stat.st_mtime_ns, stat.st_size
    own = stat.st_mtime_ns, stat.st_size, hashlib.sha256(text).hexdigest()
    if (path, own[2]) not in _ARRAYS:   # compose each version of the case once, not per poll
        _ARRAYS.clear()
        _ARRAYS[path, own[2]] = arrays_file(path, text)
    arrays = _ARRAYS[path, own[2]]
    if arrays is None:
        return own
    try:   # arrays can be large: not read each poll; numpy rewrites the whole file
        stat = arrays.stat()
        return own, (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        return own, None


def arrays_file(path, text):
    """The sibling .npz named by the case's top-level ``arrays`` key, if any. Composed,
    not loaded: no object is built and aliases are not expanded."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):    # broken: the run itself reports it
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "arrays" and isinstance(value, yaml.ScalarNode):
            return path.parent / value.value
    return None


def check_once(path, console):
    from .render import report
    from .suite import verify_files
    result = next(verify_files([path]))
    report.render(console, result)
    return result


def watch(path, console, interval=0.2, runs=None):
    """Verify ``path`` now and after each change; stop on Ctrl-C (or after ``runs``)."""
    import warnings
    warnings.filterwarnings("ignore", module="keras")
    path = Path(path)
    seen, done = object(), 0
    try:
        while runs is None or done < runs:
            now = fingerprint(path)
            if now != seen:
                seen = now
                if now is None:
                    console.print(f"[yellow]{markup(path)} does not exist (yet); waiting[/]")
                else:
                    check_once(path, console)
                    done += 1
                console.print(f"[dim]watching {markup(path)} (Ctrl-C to stop)[/]")
                sys.stdout.flush()
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("[dim]stopped watching[/]")
    return 0
