"""Rules that keep evalkit's outputs from destroying anything (issue 15).

* :func:`check_output` refuses an output folder that evalkit may not replace: the root, the
  home folder, the working directory or one of its parents, a symbolic link, a plain file, a
  folder holding an input, and any existing folder without evalkit's own marker file
  (:data:`MARKER`, written into every report folder evalkit creates).
* :func:`output_lock` holds an exclusive ``flock`` on ``.<name>.lock`` beside the target for
  the whole run: a second writer is refused at once, naming the process that holds the lock.
* :func:`install` puts a finished folder in place atomically for readers: an existing report
  is swapped with ``renameat2(RENAME_EXCHANGE)`` (Linux), so ``out`` is never absent. Other
  systems fall back to two renames (a window of a few microseconds).
* :func:`remove_stale_work` deletes hidden work folders left by a killed run: they carry the
  marker with the PID of a process that is no longer alive.
* :func:`load_yaml` reads parameter files and batch plans with no aliases and a size limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import TemplateParameterError

__all__ = [
    "MARKER",
    "YAML_MAX_BYTES",
    "Terminated",
    "alive",
    "check_output",
    "create_parents",
    "install",
    "is_report_folder",
    "load_yaml",
    "output_lock",
    "raise_terminated",
    "remove_parents",
    "remove_stale_work",
    "set_parent_death_signal",
    "write_marker",
]

#: file written into every report folder evalkit creates; only such folders are replaced
MARKER = ".evalkit-report"
#: identity file of batch runs written by evalkit 0.x before the marker existed
_LEGACY_MARKER = ".evalkit-run.json"
#: parameter files and batch plans larger than this are refused (they are a few kB)
YAML_MAX_BYTES = 1_000_000

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _fail(message: str) -> TemplateParameterError:
    return TemplateParameterError(message)


def is_report_folder(path: Path) -> bool:
    """True if ``path`` is a real folder (not a link) holding evalkit's marker file."""
    if path.is_symlink() or not path.is_dir():
        return False
    return any((path / name).is_file() and not (path / name).is_symlink()
               for name in (MARKER, _LEGACY_MARKER))


def check_output(out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                 overwrite: bool = False, option: str = "--out") -> Path:
    """Refuse an output folder evalkit may not write or replace; return it made absolute.

    Parameters
    ----------
    out : path
        The output folder as the user gave it.
    inputs : paths
        Input files of the run (data, file parameters): ``out`` may not be or hold one.
    overwrite : bool
        Whether an existing evalkit report folder may be replaced.
    option : str
        How the user named the folder, for the messages (``--out``, ``run 'a'``).

    Raises
    ------
    TemplateParameterError
        What was found and how to fix it (exit code 2).
    """
    given = Path(out).expanduser()
    absolute = Path(os.path.abspath(given))
    if absolute.is_symlink():
        raise _fail(f"{option} {given} is a symbolic link (to {os.readlink(absolute)}); "
                    "evalkit never writes through a link. Fix: give a new folder name.")
    resolved = absolute.resolve()
    if resolved == Path(resolved.anchor):
        raise _fail(f"{option} {given} is the root folder; give a new folder for the "
                    "report, e.g. --out report.")
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise _fail(f"{option} {given} is the working directory or one of its parents, "
                    "which evalkit never replaces; give a new folder, e.g. --out report.")
    if resolved == Path.home().resolve():
        raise _fail(f"{option} {given} is your home folder, which evalkit never replaces; "
                    "give a new folder, e.g. --out ~/report.")
    for item in inputs:
        source = Path(item).expanduser().resolve()
        if source == resolved or resolved in source.parents:
            raise _fail(f"{option} {given} is or holds the input {source}; the report would "
                        "replace it. Fix: write the report to another folder.")
    if os.path.lexists(resolved):
        if not resolved.is_dir():
            raise _fail(f"{option} {given} is a file, not a report folder; evalkit never "
                        "replaces a file. Fix: give a new folder name.")
        if not overwrite:
            raise _fail(f"output folder {resolved} already exists; choose another {option} "
                        "or pass --overwrite to replace it.")
        if not is_report_folder(resolved):
            raise _fail(f"{option} {resolved} exists and was not written by evalkit (it has "
                        f"no {MARKER} file); evalkit only replaces its own report folders. "
                        "Fix: give a new folder, or move this one away yourself.")
    return resolved


def create_parents(folder: Path) -> list[Path]:
    """Create the missing parents of ``folder``; return them, deepest first."""
    missing = []
    parent = folder.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
    return missing


def remove_parents(created: Iterable[Path]) -> None:
    """Remove folders made by :func:`create_parents` that are still empty (deepest first)."""
    for path in created:
        with contextlib.suppress(OSError):
            path.rmdir()


def _describe(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"PID {pid}"
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return f"PID {pid}: {command[:120]}" if command else f"PID {pid}"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` cleans up on the way out."""


def raise_terminated(signum: int, frame: object) -> None:
    """A SIGTERM handler that raises :class:`Terminated`."""
    raise Terminated


@contextlib.contextmanager
def output_lock(target: Path, *, what: str = "--out",
                lock: Path | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``target`` (``.<name>.lock`` beside it) while writing it.

    The lock file is removed on release; a writer that locked a file already unlinked by the
    previous holder notices (the path names another inode) and locks again.

    Raises
    ------
    TemplateParameterError
        Another process holds the lock; the message names it.
    """
    import fcntl

    lock = lock or target.parent / f".{target.name}.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            holder = _describe(int(text)) if text.isdigit() else "another process"
            raise _fail(f"{what} {target} is being written by another evalkit process "
                        f"({holder}); wait for it to finish or choose another {what}.") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


def write_marker(folder: Path) -> None:
    """Mark ``folder`` as written by this process (see :func:`remove_stale_work`)."""
    (folder / MARKER).write_text(json.dumps({"pid": os.getpid(), "started": time.time()}),
                                 encoding="utf-8")


def alive(pid: int, since: float | None = None) -> bool:
    """Whether ``pid`` still runs the process that wrote a marker at time ``since``.

    A zombie (killed, not yet reaped by an init that reaps late) is dead, and so is a PID
    that a newer process took over (Linux: its start time in ``/proc`` is after ``since``).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text()
                    .splitlines() if line.startswith("btime "))
    except (OSError, StopIteration, IndexError, ValueError):
        return True  # no /proc: trust kill(pid, 0)
    if fields[0] == "Z":
        return False
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return since is None or started <= since + 1.0


def remove_stale_work(target: Path) -> None:
    """Delete hidden work folders of ``target`` left by a killed evalkit process.

    A work folder (``.<name>.tmp-*`` or ``.<name>.old-*``) is removed only when it holds the
    marker and the PID written in it is this process or no longer alive. Call it while
    holding :func:`output_lock`, so no live writer of ``target`` can be this process.
    """
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            if path.is_symlink() or not (path / MARKER).is_file():
                continue
            try:
                mark = json.loads((path / MARKER).read_text(encoding="utf-8"))
                pid, since = int(mark["pid"]), float(mark.get("started", 0)) or None
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pid, since = 0, None
            if pid == os.getpid() or not alive(pid, since):
                shutil.rmtree(path, ignore_errors=True)


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """``renameat2`` with ``flags``; False when the system or file system lacks it."""
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                     ctypes.c_uint]
    if func(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(target))


def install(work: Path, out: Path) -> None:
    """Put the finished folder ``work`` at ``out``; readers never see ``out`` absent.

    An existing ``out`` (checked to be an evalkit report folder) is exchanged with ``work``
    in one system call and then deleted from its hidden name.
    """
    if os.path.lexists(out):
        if _renameat2(work, out, _RENAME_EXCHANGE):
            shutil.rmtree(work, ignore_errors=True)
            return
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(work, out)
        shutil.rmtree(old, ignore_errors=True)
        return
    if not _renameat2(work, out, _RENAME_NOREPLACE):
        os.rename(work, out)


def set_parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (a no-op elsewhere).

    Pool and run processes of ``evalkit batch`` call it, so a batch killed with SIGKILL
    leaves no worker running queued runs.
    """
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(AttributeError, OSError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl: stop now
        os._exit(1)


def load_yaml(path: str | os.PathLike[str], *, what: str) -> Any:
    """Read a small YAML file without aliases (``&a``/``*a``), refusing huge files.

    An alias bomb (a few hundred bytes that expand to billions of items) is refused when its
    first alias is read, well under a second.

    Raises
    ------
    TemplateParameterError
        The file is missing, unreadable, larger than :data:`YAML_MAX_BYTES`, not UTF-8, not
        valid YAML, or uses an alias.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed: write the value out in "
                    "full", event.start_mark)
            return super().compose_node(parent, index)

    file = Path(path).expanduser()
    if file.exists() and not file.is_file():  # a FIFO or device would block or never end
        raise _fail(f"{what} {file} is not a regular file.")
    try:
        with open(file, "rb") as handle:
            raw = handle.read(YAML_MAX_BYTES + 1)
    except FileNotFoundError:
        raise _fail(f"{what} not found: {file}.") from None
    except OSError as exc:
        raise _fail(f"cannot read {what} {file}: {exc.strerror}.") from None
    if len(raw) > YAML_MAX_BYTES:
        raise _fail(f"{what} {file} is larger than {YAML_MAX_BYTES // 1_000_000} MB; it "
                    "should be a few lines of settings.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"{what} {file} is not UTF-8 text (byte {exc.start}); save it as "
                    "UTF-8.") from None
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError as exc:
        raise _fail(f"{what} {file} is not valid YAML: {exc}".replace("\n", " ")) from None
    except RecursionError:
        raise _fail(f"{what} {file} is nested too deeply to be a settings file.") from None
