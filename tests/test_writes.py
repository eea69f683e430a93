"""Writes that respect the user's files (issue 11, class 1): links, modes, owners,
read-only and non-regular targets, signals, long names, and record's read-back."""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

from conftest import CASES, ROOT, run_cli
from lstm_verify.authoring import record
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError
from lstm_verify.files import write_atomic

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root to create files owned by another user "
                                       "and to drop to an unprivileged one")


def as_nobody(function):
    """Run ``function()`` in a forked child as the unprivileged user nobody; return the
    message of the CaseError it raised ("" when it returned normally)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns into pytest
        os.close(read)
        message = b"crashed"
        try:
            os.setgid(NOBODY)
            os.setgroups([])
            os.setuid(NOBODY)
            function()
            message = b""
        except CaseError as exc:
            message = ("CaseError: " + exc.message).encode()
        except BaseException as exc:
            message = repr(exc).encode()
        finally:
            os.write(write, message)
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as handle:
        return handle.read().decode()


@pytest.fixture
def shared_dir():
    """A folder nobody can enter (pytest's tmp_path is root's alone)."""
    folder = tempfile.mkdtemp(prefix="lstm-verify-writes-")
    os.chmod(folder, 0o755)
    yield folder
    subprocess.run(["rm", "-rf", folder], check=False)


def test_writing_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real" / "case.yaml"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    write_atomic(link, "new\n", overwrite=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    assert sorted(os.listdir(real.parent)) == ["case.yaml"]   # the temporary went next to it


def test_hard_links_mode_and_content_are_kept(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("old\n")
    os.link(first, second)
    os.chmod(first, 0o640)
    write_atomic(first, "new\n", overwrite=True)
    assert second.read_text() == "new\n" and os.stat(first).st_ino == os.stat(second).st_ino
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml"]


@needs_root
def test_the_owner_of_a_replaced_file_is_kept(tmp_path):
    path = tmp_path / "theirs.yaml"
    path.write_text("old\n")
    os.chown(path, NOBODY, NOBODY)
    write_atomic(path, "new\n", overwrite=True)
    info = os.stat(path)
    assert (info.st_uid, info.st_gid) == (NOBODY, NOBODY) and path.read_text() == "new\n"


@needs_root
def test_a_read_only_file_is_refused_and_left_alone(shared_dir):
    path = os.path.join(shared_dir, "ro.yaml")
    with open(path, "w") as handle:
        handle.write("mine\n")
    os.chown(shared_dir, NOBODY, NOBODY)   # the folder is writable: only the mode says no
    os.chown(path, NOBODY, NOBODY)
    os.chmod(path, 0o444)
    message = as_nobody(lambda: write_atomic(path, "new\n", overwrite=True))
    assert message.startswith("CaseError: is read-only (mode -r--r--r--)"), message
    assert open(path).read() == "mine\n" and os.listdir(shared_dir) == ["ro.yaml"]


@needs_root
def test_a_folder_the_user_cannot_write_is_a_one_line_error(shared_dir):
    path = os.path.join(shared_dir, "new.yaml")
    # everything imported first: nobody cannot read root's Python installation
    code = ("import locale, os, sys, numpy.random; sys.path.insert(0, %r)\n"
            "from lstm_verify import authoring, cli; cli.build_parser()\n"
            "os.setgid(%d); os.setgroups([]); os.setuid(%d)\n"
            "sys.exit(cli.main(['new', %r]))" % (str(ROOT), NOBODY, NOBODY, path))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "no permission to create files in the folder" in run.stderr
    assert os.listdir(shared_dir) == []


@pytest.mark.parametrize("target", ["device", "fifo", "folder"])
def test_output_onto_something_that_is_not_a_regular_file_is_refused_even_with_force(
        tmp_path, target):
    # A device node of our own, not /dev/null itself: code that wrongly replaced its
    # target would, run as root, replace the machine's /dev/null (this happened once)
    path = {"device": str(tmp_path / "null"), "fifo": str(tmp_path / "pipe.md"),
            "folder": str(tmp_path / "folder")}[target]
    if target == "device":
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device node needs root")
    if target == "fifo":
        os.mkfifo(path)
    if target == "folder":
        os.mkdir(path)
    run = run_cli("export", CASES / "two-steps-linear.yaml", "--format", "markdown",
                  "-o", path, "--force", timeout=60)
    assert run.returncode == 2 and "not a regular file" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert os.listdir(tmp_path) == [os.path.basename(path)]
    if target == "device":
        assert stat.S_ISCHR(os.stat(path).st_mode)


def test_a_legal_255_byte_name_can_be_written(tmp_path):
    path = tmp_path / ("é" * 127 + "a")     # 255 bytes in UTF-8
    assert len(os.fsencode(path.name)) == 255
    write_atomic(path, "x\n")
    write_atomic(path, "y\n", overwrite=True)
    assert path.read_text() == "y\n" and os.listdir(tmp_path) == [path.name]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_no_temporary_file_is_left_after_a_signal_during_a_write(tmp_path, signum):
    target = tmp_path / "case.yaml"
    target.write_text("old\n")
    # a slow disk: fsync takes a while, so the signal lands while the temporary exists
    code = ("import os, sys, time; sys.path.insert(0, %r); real = os.fsync\n"
            "os.fsync = lambda fd: (time.sleep(30), real(fd))\n"
            "from lstm_verify.files import write_atomic\n"
            "write_atomic(%r, 'new\\n', overwrite=True)" % (str(ROOT), str(target)))
    child = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(os.listdir(tmp_path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(os.listdir(tmp_path)) == 2, "the temporary file never appeared"
    child.send_signal(signum)
    status = child.wait(timeout=20)
    assert status == 128 + signum if signum == signal.SIGTERM else status != 0
    assert os.listdir(tmp_path) == ["case.yaml"] and target.read_text() == "old\n"


def test_write_atomic_refuses_when_the_file_changed_meanwhile(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("edited by someone else\n")
    with pytest.raises(CaseError, match="changed while"):
        write_atomic(path, "mine\n", overwrite=True, unchanged=b"what I read\n")
    assert path.read_text() == "edited by someone else\n"


def test_record_computes_from_the_bytes_it_splices_into(tmp_path, monkeypatch):
    from lstm_verify import authoring
    path = tmp_path / "c.yaml"
    path.write_bytes((CASES / "two-steps-linear.yaml").read_bytes())
    edited = "# an edit saved while record was computing\n" + path.read_text()
    real = authoring.expected_values

    def edited_meanwhile(case, steps=False):
        path.write_text(edited)
        return real(case, steps)
    monkeypatch.setattr(authoring, "expected_values", edited_meanwhile)
    with pytest.raises(CaseError, match="changed while"):
        record(path)
    assert path.read_text() == edited


# --- record on every layout of a case: the file must read back as the same case ----------

BASE = {"name": "record me", "units": 2, "activation": None, "recurrent_activation": None,
        "inputs": [[1, 0], [0.5, -1]],
        "weights": {"kernel": [[1, 0, 1, 1, 1, 2, 0, 1], [0, 1, 0, 1, 1, 0, 1, 0]],
                    "recurrent_kernel": [[0, 1, 0, 0, 1, 0, 1, 0], [1, 0, 0, 0, 0, 1, 0, 1]],
                    "bias": [0, 0, 0, 0, 0, 0, 1, 0]}}
BLOCK = yaml.safe_dump(BASE, sort_keys=False)


def record_and_reread(tmp_path, text, newline="\n"):
    path = tmp_path / "c.yaml"
    path.write_bytes(text.replace("\n", newline).encode())
    before = yaml.safe_load(text)
    proc = run_cli("record", path, "--force", timeout=60)   # placeholder numbers
    assert proc.returncode == 0, proc.stderr
    after_bytes = path.read_bytes()
    after = yaml.safe_load(after_bytes.decode())
    expected = after.pop("expected")
    before.pop("expected", None)
    assert after == before and set(expected) == {"h", "c"}
    if newline == "\r\n":
        assert after_bytes.count(b"\n") == after_bytes.count(b"\r\n")
    return after_bytes.decode()


@pytest.mark.parametrize("label, text", [
    ("json on one line", __import__("json").dumps(BASE)),
    ("pretty json", __import__("json").dumps({**BASE, "expected": {"h": [9, 9]}}, indent=2)
     + "\n"),
    ("document end marker", BLOCK + "...\n"),
    ("indented by two", "".join("  " + line + "\n" for line in BLOCK.splitlines())),
    ("indented, with expected", "".join("  " + line + "\n" for line in
                                        (BLOCK + "expected:\n  h: [1, 2]\n").splitlines())),
])
def test_record_keeps_every_layout_a_valid_case(tmp_path, label, text):
    record_and_reread(tmp_path, text)


def test_record_keeps_crlf_line_endings(tmp_path):
    text = record_and_reread(tmp_path, "# notes\n" + BLOCK + "expected: {h: [1, 1]}\n",
                             newline="\r\n")
    assert text.startswith("# notes\r\n")


def test_record_refuses_an_anchor_inside_expected_used_elsewhere(tmp_path):
    path = tmp_path / "c.yaml"
    text = BLOCK + "expected:\n  h: &h0 [0, 0]\ninitial_state: {h: *h0}\n"
    path.write_text(text)
    proc = run_cli("record", path, timeout=60)
    assert proc.returncode == 2 and "anchor &h0" in proc.stderr and "untouched" in proc.stderr
    assert path.read_text() == text


def test_record_refuses_when_the_result_would_read_back_differently(tmp_path, monkeypatch):
    from lstm_verify import splice
    path = tmp_path / "c.yaml"
    path.write_text(BLOCK)
    monkeypatch.setattr(splice, "replace_entry",   # a splice that damages the rest
                        lambda text, name, lines, flow: text.replace("record me", "other")
                        + "\n".join(lines) + "\n")
    with pytest.raises(CaseError, match="left untouched"):
        record(path)
    assert path.read_text() == BLOCK
    assert load_case(path).name == "record me"
