"""A warm parent that forks a fresh process per job: imports are paid once, and every child starts from the same state.

`crosscloud fleet` starts two of them: one for stacks (it has imported the engine, the catalog and, once a stack has
reported them, the provider SDK modules its program loads) and one for the policy packs crosscloud ships
(pulumi_policy, the rules and the catalog). A child is a copy of the warm parent at the moment of the fork: nothing a
child does (to modules, globals, the environment) reaches the parent or any other child.

Fork safety: a process that forks must not run gRPC's core (its threads do not exist in the child, and locks they hold
stay locked there). A server imports grpc (pulumi does) but never creates a channel, a server or a thread, and checks
before every fork that it has exactly one thread; otherwise it refuses the job (a pack is then started the ordinary
way). Children create their own gRPC objects after the fork, so gRPC's fork support (GRPC_ENABLE_FORK_SUPPORT) is not
needed and is left as the environment sets it.

Process hygiene: each child calls setsid() before the server answers with its pid, so its process group can always
be killed. A client that closes its connection before its child ended (it died, or was killed) gets its child's group
killed. The server is a child subreaper (Linux): a process a child started and left behind is re-parented to the
server, which kills it; when the server's stdin closes (its client ended) or on SIGTERM it kills every child and exits.

Protocol: AF_UNIX SOCK_SEQPACKET, one connection per request, JSON messages.
  {"op": "spawn", "argv": [python, "-u", "-m" | "-c", ...], "cwd", "env"} + fds (stdin, stdout, stderr): run a Python
      program as `python -u` would (same interpreter only; the environment must equal the server's but for
      LAUNCH_KEYS); {"op": "spawn", "call": "module:function", "args": [...], "cwd", "env"} + fds: call a function of
      CALLABLE in the child, its return value the exit code.
      -> {"pid": N} or {"error": "..."}; later {"exit": returncode} (negative: killed by that signal), then EOF.
  {"op": "warm", "modules": [...]} -> {"imported": n, "failed": n}: import them now (later children start with them).
  {"op": "status"} -> {"pid", "threads", "children", "modules"}.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import resource
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from crosscloud.engine.processes import RUN_TOKEN_VAR, become_subreaper, children

MAX_MESSAGE = 1024 * 1024
# What the engine sets per pack (analyzer.py); everything else in a pack's environment must equal the server's.
LAUNCH_KEYS = frozenset(
    {"PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_ORGANIZATION", "PULUMI_DRY_RUN", "PULUMI_CONFIG", RUN_TOKEN_VAR}
)
# The only functions a `call` spawn may run.
CALLABLE = frozenset({"crosscloud.fleet.worker:child_main"})
READY = b"ready\n"
PROVIDER_SDKS = ("pulumi_aws.", "pulumi_azure_native.")
_SWEEP_SECONDS = 0.5


class ForkServerError(Exception):
    """A warm parent could not start, or refused or failed a job."""


# -- what each kind of server imports before it serves ---------------------------------------------------------------
def _warm_pack() -> None:
    """What every pack of ours imports, and the catalog it reads first (crosscloud/policies/rules/base.py
    ready_to_serve)."""
    import pkgutil

    for name in ("pulumi", "pulumi.runtime", "pulumi.policy", "pulumi_policy", "argparse", "runpy", "traceback"):
        importlib.import_module(name)
    rules = importlib.import_module("crosscloud.policies.rules")
    for module in pkgutil.iter_modules(rules.__path__, "crosscloud.policies.rules."):
        importlib.import_module(module.name)
    from crosscloud.catalog import load_catalog

    load_catalog()


def _warm_stack() -> None:
    """The engine, the reports and the catalog; the provider SDK modules come later, named by the first stacks."""
    for name in (
        "pulumi",
        "pulumi.runtime",
        "pulumi_aws",
        "pulumi_azure_native",
        "crosscloud.cli",
        "crosscloud.engine.synth",
        "crosscloud.engine.check",
        "crosscloud.engine.policy_config",
        "crosscloud.reports",
        "crosscloud.fleet.worker",
        "crosscloud.components",
        "crosscloud.platform",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from crosscloud.catalog import load_catalog

    load_catalog()


WARM = {"pack": _warm_pack, "stack": _warm_stack}


def import_modules(names: Iterable[str]) -> tuple[int, int]:
    """Import `names` (fully loaded modules another process reported, in its order): packages before their modules,
    and a lazily loaded package (pulumi's provider SDKs load subpackages on first attribute access) by touching it, as
    the program did: importing a module of a lazy package first leaves the package without its classes. A module
    that fails to import is skipped: the child imports it itself. Returns (imported, failed)."""
    imported = failed = 0
    gc.disable()  # importing makes few cycles: no collection walks the growing heap meanwhile
    for name in sorted(dict.fromkeys(names), key=lambda n: n.count(".")):
        try:
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # each package first, as the program's attribute access did
                module = sys.modules.get(".".join(parts[:depth])) or importlib.import_module(".".join(parts[:depth]))
                getattr(module, "__crosscloud_warm__", None)  # a lazy module loads on its first attribute access
            imported += 1
        except Exception:
            failed += 1
    gc.enable()
    gc.freeze()  # what is warm lives as long as the server: no collection in a child walks it (or copies its pages)
    return imported, failed


def prime_type_caches(names: Iterable[str]) -> int:
    """Fill the Pulumi SDK's per-class caches (the resolved property annotations of each resource and output type,
    `pulumi._types._types_from_py_properties`, a pure function of the class) for the classes of the SDK modules in
    `names`, so a child computes none of them again: resolving annotations was a sixth of a warm stack's CPU. Where
    the SDK has no such cache, nothing is done. Returns how many classes were primed."""
    types_module = sys.modules.get("pulumi._types")
    cached = getattr(types_module, "_types_from_py_properties", None)
    is_output_type = getattr(types_module, "is_output_type", None)
    resource = getattr(sys.modules.get("pulumi"), "Resource", None)
    if cached is None or is_output_type is None or resource is None:
        return 0
    wanted = tuple(dict.fromkeys(n for n in names if n.startswith(PROVIDER_SDKS)))
    modules = [
        (name, module)
        for name, module in list(sys.modules.items())
        if type(module).__name__ != "_LazyModule"
        and (name in wanted or name.startswith(tuple(f"{w}." for w in wanted)))
    ]  # a subpackage and the modules it loaded, whose classes it re-exports
    primed = 0
    for name, module in modules:
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                with contextlib.suppress(Exception):  # a class whose annotations do not resolve: the child finds out
                    if issubclass(value, resource) or is_output_type(value):
                        cached(value)
                        primed += 1
    gc.freeze()
    return primed


def loaded_modules() -> list[str]:
    """Names of the fully loaded modules, in the order they were first imported (lazy placeholders left out)."""
    return [name for name, module in list(sys.modules.items()) if type(module).__name__ != "_LazyModule"]


def thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


# -- the server ---------------------------------------------------------------------------------------------------
class _Server:
    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind
        self.env = {k: v for k, v in os.environ.items() if k not in LAUNCH_KEYS}
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(str(path))
        self.listener.listen(128)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.selector = selectors.DefaultSelector()
        self.running: dict[int, socket.socket] = {}  # child pid -> its client's connection
        self.connections: dict[socket.socket, int | None] = {}  # connection -> its child's pid, if any
        self.stopping = False

    def serve(self) -> None:
        become_subreaper()
        signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select (set_wakeup_fd)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client stops us; a terminal's Ctrl-C goes to the client
        signal.set_wakeup_fd(self.wake_w)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "control")
        WARM[self.kind]()
        gc.freeze()
        sys.stdout.buffer.write(READY)
        sys.stdout.flush()
        swept = time.monotonic()
        try:
            while not self.stopping:
                for key, _ in self.selector.select(timeout=_SWEEP_SECONDS):
                    self._event(key)
                self._reap()
                if time.monotonic() - swept >= _SWEEP_SECONDS:
                    self._kill_orphans()
                    swept = time.monotonic()
        finally:
            self._shutdown()

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def _event(self, key: selectors.SelectorKey) -> None:
        if key.data == "accept":
            with contextlib.suppress(OSError):
                conn, _ = self.listener.accept()
                self.connections[conn] = None
                self.selector.register(conn, selectors.EVENT_READ, "request")
        elif key.data == "wake":
            with contextlib.suppress(BlockingIOError):
                while os.read(self.wake_r, 512):
                    pass
        elif key.data == "control":
            if not os.read(sys.stdin.fileno(), 512):
                self.stopping = True  # our client is gone
        else:
            self._request(key.fileobj)  # type: ignore[arg-type]

    def _request(self, conn: socket.socket) -> None:
        try:
            data, fds, _flags, _addr = socket.recv_fds(conn, MAX_MESSAGE, 3)
        except OSError:
            data, fds = b"", []
        if not data:  # the client closed its connection: its child (if still running) is stopped
            pid = self.connections.get(conn)
            if pid is not None and pid in self.running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            self._drop(conn)
            return
        try:
            request = json.loads(data)
            op = request.get("op")
            if op == "spawn":
                self._spawn(conn, request, fds)
            elif op == "warm":
                imported, failed = import_modules(request.get("modules") or [])
                if self.kind == "stack":
                    prime_type_caches(request.get("modules") or [])
                _send(conn, {"imported": imported, "failed": failed})
            elif op == "status":
                _send(conn, self._status())
            else:
                _send(conn, {"error": f"unknown op {op!r}"})
        except (ValueError, TypeError, KeyError, OSError) as exc:
            with contextlib.suppress(OSError):
                _send(conn, {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.connections.get(conn) is None and conn in self.connections:
            self._drop(conn)  # a one-shot request (warm, status, a refused spawn) is answered: close it

    def _status(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "pid": os.getpid(),
            "threads": thread_count(),
            "children": sorted(self.running),
            "modules": len(sys.modules),
            "childrenCpuSeconds": round(usage.ru_utime + usage.ru_stime, 3),  # of the children reaped so far
        }

    def _refusal(self, request: dict[str, Any], fds: list[int]) -> str | None:
        if len(fds) != 3:
            return "a spawn needs stdin, stdout and stderr"
        threads = thread_count()
        if threads != 1:
            return f"the warm parent has {threads} threads; it forks only with one"
        if "call" in request:
            return None if request["call"] in CALLABLE else f"{request['call']!r} may not be called"
        argv = [str(a) for a in request.get("argv") or []]
        if len(argv) < 3 or os.path.abspath(argv[0]) != os.path.abspath(sys.executable):
            return "not this interpreter"
        if argv[1] != "-u" or argv[2] not in ("-m", "-c") or len(argv) < 4:
            return "only `python -u -m MODULE ...` or `python -u -c CODE ...`"
        env = {str(k): str(v) for k, v in (request.get("env") or {}).items()}
        if {k: v for k, v in env.items() if k not in LAUNCH_KEYS} != self.env:
            return "its environment differs from the warm parent's"
        return None

    def _spawn(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        refusal = self._refusal(request, fds)
        if refusal is not None:
            _send(conn, {"error": refusal})
            return
        sync_r, sync_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.close(sync_r)
                code = self._child(request, fds, sync_w)
            except SystemExit as exc:
                code = _exit_code(exc)
            except BaseException:
                with contextlib.suppress(Exception):
                    traceback.print_exc()
                code = 1
            finally:
                _flush()
                os._exit(code)
        os.close(sync_w)
        with selectors.DefaultSelector() as wait:
            wait.register(sync_r, selectors.EVENT_READ)
            wait.select(timeout=5.0)  # the child has called setsid() (or died trying)
        os.close(sync_r)
        self.running[pid] = conn
        self.connections[conn] = pid
        _send(conn, {"pid": pid})

    def _child(self, request: dict[str, Any], fds: list[int], sync_w: int) -> int:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh interpreter
        self.selector.close()
        for conn in list(self.connections):
            conn.close()
        self.listener.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        os.setsid()
        os.write(sync_w, b"x")
        os.close(sync_w)
        for number, fd in enumerate(fds):
            os.dup2(fd, number)
        for fd in set(fds):
            if fd > 2:
                os.close(fd)
        os.chdir(str(request.get("cwd") or "."))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in (request.get("env") or {}).items()})
        _fresh_stdio()
        if "call" in request:
            module_name, _, function = str(request["call"]).partition(":")
            result = getattr(importlib.import_module(module_name), function)(*request.get("args", []))
            _run_exit_functions()
            return int(result)
        argv = [str(a) for a in request["argv"]]
        mode, target, rest = argv[2], argv[3], argv[4:]
        try:
            if mode == "-m":
                sys.path[0] = os.getcwd()
                sys.argv = [target, *rest]  # runpy puts the module's file in argv[0]
                runpy.run_module(target, run_name="__main__", alter_sys=True)
            else:
                sys.path[0] = ""
                sys.argv = ["-c", *rest]
                main = {"__name__": "__main__", "__builtins__": __builtins__}
                exec(compile(target, "<string>", "exec"), main)  # noqa: S102 - `python -c` by the engine's own command
        except SystemExit as exc:
            _run_exit_functions()
            return _exit_code(exc)
        except KeyboardInterrupt:
            _flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)  # as Python ends on an unhandled KeyboardInterrupt
            return 130
        except BaseException:
            traceback.print_exc()
            _run_exit_functions()
            return 1
        _run_exit_functions()
        return 0

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.running.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(OSError):
                    _send(conn, {"exit": _returncode(status)})
                self._drop(conn)

    def _kill_orphans(self) -> None:
        """Kill what a child left behind (re-parented to this subreaper): nothing outlives the child that started it."""
        for pid in children():
            if pid not in self.running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def _drop(self, conn: socket.socket) -> None:
        self.connections.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn)
        conn.close()

    def _shutdown(self) -> None:
        for pid in list(self.running):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            self._kill_orphans()
            self._reap()
            if not children():
                break
            time.sleep(0.02)
        for conn in list(self.connections):
            self._drop(conn)


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.send(json.dumps(message).encode())


def _returncode(status: int) -> int:
    """As subprocess reports it: the exit code, or minus the signal that killed the process."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    with contextlib.suppress(Exception):
        print(exc.code, file=sys.stderr)
    return 1


_REPLACED: list[Any] = []  # the server's own stdio objects: never collected in a child (that would close fds 0-2)


def _fresh_stdio() -> None:
    """stdin, stdout and stderr on fds 0-2 as `python -u` opens them (unbuffered binary layers, text written through)"""
    _REPLACED.extend([sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__])
    streams = {
        "stdin": io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False))),
        "stdout": io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True),
        "stderr": io.TextIOWrapper(io.FileIO(2, "w", closefd=False), errors="backslashreplace", write_through=True),
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _run_exit_functions() -> None:
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    _flush()


# -- the client side ----------------------------------------------------------------------------------------------
class ForkedProcess:
    """A child of a warm parent, as a session sees a `subprocess.Popen`: pid, pipes, poll() and wait(). Its exit
    status arrives on the connection it was spawned through; closing that connection stops it."""

    def __init__(self, conn: socket.socket, pid: int, stdout: IO[bytes] | None, stderr: IO[bytes] | None) -> None:
        self._conn, self.pid, self.stdout, self.stderr = conn, pid, stdout, stderr
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def fileno(self) -> int:
        """The connection, readable when the child has ended (for a selector)."""
        return self._conn.fileno()

    def poll(self) -> int | None:
        self._receive(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._receive(timeout):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def _receive(self, timeout: float | None) -> bool:
        with self._lock:
            if self.returncode is not None:
                return True
            with selectors.DefaultSelector() as wait:
                wait.register(self._conn, selectors.EVENT_READ)
                if not wait.select(timeout=timeout):
                    return False
            try:
                data = self._conn.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if data:
                self.returncode = int(json.loads(data)["exit"])
            else:  # the warm parent is gone (it kills its children when it goes): make sure, then call it killed
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.returncode = -signal.SIGKILL
            self._conn.close()
            return True

    def close(self) -> None:
        """Let go of the child: the warm parent kills it if it is still running."""
        with self._lock:
            if self.returncode is None:
                self._conn.close()
                self.returncode = -signal.SIGKILL


def request(path: Path, message: dict[str, Any], fds: list[int] | None = None, timeout: float = 30.0) -> Any:
    """Send one request; returns (the answer, the open connection)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MAX_MESSAGE)
        conn.settimeout(timeout)
        conn.connect(str(path))
        data = json.dumps(message).encode()
        if len(data) > MAX_MESSAGE // 2:
            raise ForkServerError("request too large for the warm parent")
        socket.send_fds(conn, [data], fds or [])
        answer = conn.recv(MAX_MESSAGE)
        conn.settimeout(None)
    except OSError as exc:
        conn.close()
        raise ForkServerError(f"warm parent at {path}: {exc}") from None
    except BaseException:
        conn.close()
        raise
    if not answer:
        conn.close()
        raise ForkServerError(f"warm parent at {path} closed the connection")
    return json.loads(answer), conn


def spawn(
    path: Path, message: dict[str, Any], stdin: int, stdout: int, stderr: int, timeout: float = 30.0
) -> tuple[int, socket.socket]:
    """A child of the warm parent at `path` with these fds as its stdin, stdout and stderr; (pid, connection)."""
    answer, conn = request(path, {"op": "spawn", **message}, [stdin, stdout, stderr], timeout)
    if "pid" not in answer:
        conn.close()
        raise ForkServerError(str(answer.get("error") or answer))
    return int(answer["pid"]), conn


def ask(path: Path, message: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
    answer, conn = request(path, message, timeout=timeout)
    conn.close()
    if "error" in answer:
        raise ForkServerError(str(answer["error"]))
    return dict(answer)


class ForkServer:
    """A warm parent of `kind` ("pack" or "stack"), started by this process with `python` in `folder`."""

    def __init__(self, kind: str, folder: Path, *, python: str | None = None, env: dict[str, str] | None = None):
        self.kind = kind
        self.path = folder / f"{kind}.sock"
        self.python = python or sys.executable
        base = dict(os.environ if env is None else env)
        self.env = {k: v for k, v in base.items() if k not in LAUNCH_KEYS}
        self._log = open(folder / f"{kind}-server.log", "w+b")  # noqa: SIM115 - closed in close()
        try:
            self.process = subprocess.Popen(
                [self.python, "-u", "-m", "crosscloud.fleet.forkserver", kind, str(self.path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                env=self.env,
                start_new_session=True,
            )
        except OSError as exc:
            self._log.close()
            raise ForkServerError(f"cannot start the {kind} warm parent: {exc.strerror}") from None

    def wait_ready(self, timeout: float) -> None:
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as wait:
            wait.register(self.process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            line = b""
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not wait.select(timeout=min(remaining, 0.1)):
                    if remaining <= 0:
                        raise ForkServerError(f"the {self.kind} warm parent was not ready within {timeout:g}s")
                    continue
                chunk = os.read(self.process.stdout.fileno(), 64)
                if not chunk:
                    self._log.seek(0)
                    tail = " | ".join(self._log.read().decode(errors="replace").strip().splitlines()[-3:])
                    raise ForkServerError(f"the {self.kind} warm parent ended before it was ready: {tail[-400:]}")
                line += chunk
        if line != READY:
            raise ForkServerError(f"the {self.kind} warm parent said {line[:80]!r}")

    def warm(self, modules: list[str]) -> dict[str, Any]:
        return ask(self.path, {"op": "warm", "modules": modules})

    def status(self) -> dict[str, Any]:
        return ask(self.path, {"op": "status"}, timeout=30.0)

    def close(self) -> None:
        """Stop the server and everything it forked (closing its stdin asks it to; it is killed after 5 s)."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def main(argv: list[str] | None = None) -> int:
    kind, path = (argv if argv is not None else sys.argv[1:])[:2]
    if kind not in WARM:
        print(f"crosscloud.fleet.forkserver: unknown kind {kind!r}", file=sys.stderr)
        return 2
    _Server(kind, Path(path)).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
