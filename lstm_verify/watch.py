"""``watch PATH``: keep Keras loaded and re-verify a case each time it is saved.

The file is polled (no new dependency): a change of mtime, size or content hash
triggers a run.  Editors that save by writing a new file and renaming it over
the old one are handled because the path is stat-ed afresh each poll; a file
that is missing for a moment or half-written shows its error and is watched on.
"""

import hashlib
import sys
import time
from pathlib import Path


def fingerprint(path):
    """(mtime, size, sha256) of the file, or None while it does not exist."""
    try:
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:   # between an editor's unlink and rename, or not yet written
        return None
    return stat.st_mtime_ns, stat.st_size, digest


def check_once(path, console):
    from . import report
    from .verify import verify_files
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
                    console.print(f"[yellow]{path} does not exist (yet); waiting[/]")
                else:
                    check_once(path, console)
                    done += 1
                console.print(f"[dim]watching {path} (Ctrl-C to stop)[/]")
                sys.stdout.flush()
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("[dim]stopped watching[/]")
    return 0
