"""Packs of ours forked from the warm pack parent; every other pack started as the engine starts it.

A session asks for `<python> -u -m pulumi.policy <engine> <pack>` (or the stdin bootstrap for a large config) in the
pack's folder with the engine's environment. When the pack is one crosscloud ships, the interpreter is the warm
parent's and the environment equals the parent's but for what the engine sets per pack (LAUNCH_KEYS), the warm parent
forks a child that runs exactly that command line in that folder with that environment and those pipes, in a new
session: the pack prints its port and serves as it would have, minus the imports. Anything else (another folder,
interpreter or environment, or a refusal) starts as `subprocess.Popen`, the ordinary way.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

from crosscloud.engine.analyzer import PackProcess, popen_pack
from crosscloud.fleet.forkserver import ForkedProcess, ForkServerError, spawn


class WarmPackLauncher:
    """A PackLauncher (crosscloud.engine.analyzer) for one stack's child; counts what it forked and what it started."""

    def __init__(self, server: Path, ours: list[str], python: str) -> None:
        self.server, self.ours, self.python = server, frozenset(ours), python
        self.forked = 0
        self.started = 0

    def __call__(self, command: list[str], cwd: Path, env: dict[str, str], stdin: Any) -> PackProcess:
        if str(cwd.resolve()) in self.ours and command[0] == self.python:
            with contextlib.suppress(ForkServerError, OSError):
                process = self._fork(command, cwd, env, stdin)
                self.forked += 1
                return process
        self.started += 1
        return popen_pack(command, cwd, env, stdin)

    def _fork(self, command: list[str], cwd: Path, env: dict[str, str], stdin: Any) -> ForkedProcess:
        own_stdin = stdin in (None, subprocess.DEVNULL)
        stdin_fd = os.open(os.devnull, os.O_RDONLY) if own_stdin else stdin.fileno()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            pid, conn = spawn(
                self.server, {"argv": command, "cwd": str(cwd), "env": env}, stdin=stdin_fd, stdout=out_w, stderr=err_w
            )
        except BaseException:
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (out_w, err_w, *([stdin_fd] if own_stdin else [])):
                os.close(fd)
        return ForkedProcess(conn, pid, open(out_r, "rb"), open(err_r, "rb"))
