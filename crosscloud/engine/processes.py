"""Every process a run starts is stopped when the run ends, however it ends (verdict, error, SIGINT or SIGTERM).

A pack is started in its own session, so stopping its process group stops what it started in that group. A pack
may also start a process that leaves the group (`setsid`, a double fork): each pack's environment carries a run
token, and `kill_tagged` kills every process of this user whose environment still holds it. On Linux the CLI also
becomes a child subreaper, so a descendant that cleared its environment is re-parented to the CLI rather than to
init, where `kill_children` finds and reaps it.

Cancellation: `install_signal_handlers` turns the first SIGINT or SIGTERM into `Cancelled` (a KeyboardInterrupt)
in the main thread and sets `CANCEL`, which every wait on a pack checks; later signals are only counted, so a second
Ctrl-C cannot interrupt the cleanup that stops the packs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

RUN_TOKEN_VAR = "CROSSCLOUD_RUN_TOKEN"  # noqa: S105 - a variable name, not a secret
CANCEL = threading.Event()
_SIGNAL = [int(signal.SIGINT)]  # the signal that set CANCEL
_PR_SET_CHILD_SUBREAPER = 36
_PROC = Path("/proc")


class Cancelled(KeyboardInterrupt):
    """The run was cancelled by a signal; `exit_code` is 128 + its number (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if CANCEL.is_set():
        return  # already cancelling: the cleanup must finish
    _SIGNAL[0] = signum
    CANCEL.set()
    raise Cancelled(signum)


def raise_cancelled() -> None:
    """Raise Cancelled for the signal that cancelled the run (for waits outside the main thread)."""
    raise Cancelled(_SIGNAL[0])


@contextlib.contextmanager
def signal_handlers() -> Iterator[None]:
    """SIGINT and SIGTERM raise Cancelled once, in the main thread; previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    CANCEL.clear()
    for sig in previous:
        signal.signal(sig, _on_signal)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        CANCEL.clear()  # the next run in this process (tests call the CLI in-process) starts uncancelled


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children (Linux); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _pids() -> list[int]:
    try:
        return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]
    except OSError:
        return []


def _tagged(token: str, var: str) -> list[int]:
    needle = f"{var}={token}".encode()
    found = []
    for pid in _pids():
        if pid == os.getpid():
            continue
        try:
            environ = (_PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue  # gone, or another user's
        if needle in environ.split(b"\0"):
            found.append(pid)
    return found


def kill_tagged(token: str, *, rounds: int = 20, var: str = RUN_TOKEN_VAR) -> None:
    """SIGKILL every process whose environment holds the run token (`var`=`token`), until none is left (a bounded
    number of rounds: a process may fork while we look)."""
    for _ in range(rounds):
        pids = _tagged(token, var)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


def children() -> list[int]:
    """The pids of this process's children (with a subreaper: its orphaned descendants too)."""
    me = os.getpid()
    found = []
    for pid in _pids():
        try:
            stat = (_PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(me):
            found.append(pid)
    return found


def kill_children(*, rounds: int = 20) -> None:
    """SIGKILL and reap every child of this process (with a subreaper: every orphaned descendant too). Only for
    the CLI's own process, which starts no child it wants to keep."""
    for _ in range(rounds):
        pids = children()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        reaped = False
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            reaped = True
        if not pids and not reaped:
            return
        time.sleep(0.02)
