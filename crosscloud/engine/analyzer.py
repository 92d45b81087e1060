"""Run one policy pack as its own process and talk to it over the analyzer gRPC interface, as the Pulumi engine does.

The pack is started as `<python> -u -m pulumi.policy <engine-address> <pack-dir>` in the pack's folder, with the stack
in PULUMI_ORGANIZATION / PULUMI_PROJECT / PULUMI_STACK / PULUMI_CONFIG / PULUMI_DRY_RUN; its first stdout line is its
port. Then, as pkg/resource/plugin/analyzer_plugin.go and pkg/engine/update.go do: Handshake (optional for a pack),
ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Configure with the reconciled policy config; per resource Remediate
then Analyze (check.py drives the order across packs); AnalyzeStack with outputs. A pack that crashes, hangs or never
prints a port is an error of the run, never "no violations", and its process group is always stopped.
"""

from __future__ import annotations

import collections
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent import futures
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Protocol

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from crosscloud.declaration import ConfigIssue, DeclarationError
from crosscloud.engine.config import go_json
from crosscloud.engine.graph import Graph, Resource
from crosscloud.engine.policy_config import ALL, LEVELS, PolicyConfig, PolicyConfigFile, PolicySchema, reconcile
from crosscloud.engine.processes import CANCEL, RUN_TOKEN_VAR, kill_tagged, raise_cancelled
from crosscloud.engine.progress import PROGRESS
from crosscloud.engine.project import POLICY_PACK_FILE, read_yaml_file
from crosscloud.engine.violations import PackInfo, PolicyMeta, Remediation, Violation

_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 512 * 1024 * 1024),
    ("grpc.max_send_message_length", 512 * 1024 * 1024),
]
# Calls sent to one pack before the first answer is awaited: enough to keep the pack and this process busy at once.
IN_FLIGHT = 64
_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPES = {
    analyzer_pb2.POLICY_TYPE_UNKNOWN: "",
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}
# Linux refuses one environment string over 128 KiB (MAX_ARG_STRLEN) with E2BIG, and so would the engine. A larger
# PULUMI_CONFIG is handed to the pack on its stdin instead; a one-line bootstrap sets each value as pulumi.policy's
# main does with PULUMI_CONFIG, then runs it. Nothing large stays in the environment the pack's own children inherit.
ENV_CONFIG_LIMIT = 96 * 1024
_STDIN_CONFIG_BOOTSTRAP = (
    "import json, runpy, sys; import pulumi.runtime as rt; "
    "[rt.set_config(k, v) for k, v in json.load(sys.stdin).items()]; "
    "sys.argv = ['pulumi.policy', *sys.argv[1:]]; runpy.run_module('pulumi.policy', run_name='__main__')"
)
_POLL = 0.1  # seconds between checks for cancellation while waiting on a pack
# AnalyzeStack sends every resource at once and the pack deserializes all of them once per stack policy: its time
# grows with the stack (about 13 s for the residency pack at 10,000 resources on the development machine). Its deadline
# is --pack-timeout per this many resources, never less than --pack-timeout.
STACK_RESOURCES_PER_TIMEOUT = 10_000


class PackProcess(Protocol):
    """What a session needs of a pack's process: a `subprocess.Popen` (the engine's way), or a process forked for it
    by a warm parent (`crosscloud fleet`, crosscloud/fleet/forkserver.py)."""

    @property
    def pid(self) -> int: ...
    @property
    def stdout(self) -> IO[bytes] | None: ...
    @property
    def stderr(self) -> IO[bytes] | None: ...
    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...


# start(command, cwd, env, stdin) -> the pack's process, in a new session, stdout and stderr piped. OSError if it
# cannot start.
PackLauncher = Callable[[list[str], Path, dict[str, str], Any], PackProcess]


def popen_pack(command: list[str], cwd: Path, env: dict[str, str], stdin: Any) -> PackProcess:
    """Start a pack as the engine does: its own process, in its own session."""
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


# How packs are started in this process: popen_pack, unless a fleet worker installed its own (set_pack_launcher).
_LAUNCHER: list[PackLauncher] = [popen_pack]


def set_pack_launcher(launcher: PackLauncher | None) -> None:
    """Start packs with `launcher` from now on (None: as the engine does)."""
    _LAUNCHER[:] = [launcher or popen_pack]


def analyze_stack_timeout(rpc_timeout: float, resources: int) -> float:
    return rpc_timeout * max(1.0, resources / STACK_RESOURCES_PER_TIMEOUT)


class PackError(Exception):
    """A policy pack failed to start, crashed, hung or answered nonsense: the run has no valid result."""

    def __init__(self, pack: Path, problem: str) -> None:
        super().__init__(f"policy pack {pack.name} ({pack}): {problem}")
        self.pack, self.problem = pack, problem


class _Drain:
    """Read a pack's output pipe until it closes, keeping only the last `keep` bytes: a pack that floods its
    output neither blocks on a full pipe nor fills memory or disk."""

    def __init__(self, pipe: IO[bytes], keep: int = 64 * 1024) -> None:
        self.pipe, self.keep = pipe, keep
        self.tail = bytearray()
        self.thread = threading.Thread(target=self._run, name="pack-output", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        # The thread owns the pipe and closes it at end of stream (when the last process holding it is gone).
        with self.pipe:
            while chunk := os.read(self.pipe.fileno(), 65536):
                self._keep(chunk)

    def _keep(self, chunk: bytes) -> None:
        self.tail += chunk
        if len(self.tail) > 2 * self.keep:
            del self.tail[: -self.keep]

    def text(self, wait: float = 0.0) -> str:
        self.thread.join(timeout=wait)  # a pack that has exited has closed the pipe: the tail is complete
        return bytes(self.tail[-self.keep :]).decode(errors="replace")


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine endpoint a pack's SDK may log to; messages are kept for diagnostics."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802
        self.logs.append(request.message)
        return empty_pb2.Empty()


def pack_manifest(pack: Path) -> dict[str, Any]:
    try:
        data = read_yaml_file(pack / POLICY_PACK_FILE)
    except DeclarationError as exc:
        raise PackError(pack, f"cannot read {POLICY_PACK_FILE}: {exc}") from None
    if not isinstance(data, dict):
        raise PackError(pack, f"{POLICY_PACK_FILE} is not a mapping")
    return data


def pack_python(pack: Path, manifest: dict[str, Any]) -> str:
    """The interpreter the engine would use: the `virtualenv` option, else the uv project environment above the
    pack (uv searches upward for uv.lock / pyproject.toml), else this interpreter."""
    runtime = manifest.get("runtime")
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    candidates = (
        [pack / str(venv)]
        if venv
        else [
            folder / ".venv"
            for folder in (pack, *pack.parents)
            if (folder / "uv.lock").is_file() or (folder / "pyproject.toml").is_file()
        ][:1]
    )
    for env in candidates:
        python = env / "bin" / "python"
        if python.exists():
            return str(python)
    if venv:
        raise PackError(pack, f"virtualenv {venv!r} from {POLICY_PACK_FILE} has no bin/python")
    return sys.executable


def _struct(value: dict[str, Any], *, internal: bool = False) -> struct_pb2.Struct:
    # The engine drops internal keys ("__defaults", ...) before Analyze and AnalyzeStack, not before Remediate.
    kept = value if internal else {k: v for k, v in value.items() if not k.startswith("__")}
    struct = struct_pb2.Struct()
    struct.update(kept)  # the same message as json_format.ParseDict builds, in about half the time
    return struct


class PackSession:
    """One running pack process and its gRPC channel; use as a context manager so it is always stopped."""

    def __init__(
        self,
        pack: Path,
        graph: Graph,
        *,
        start_timeout: float,
        rpc_timeout: float,
        organization: str = "organization",
    ) -> None:
        self.pack = pack.resolve()
        self.graph = graph
        self.organization = organization
        self.pack_info: PackInfo | None = None
        self.engine_address = ""
        self.start_timeout, self.rpc_timeout = start_timeout, rpc_timeout
        self.manifest = pack_manifest(self.pack)
        self.engine = _Engine()
        self.process: PackProcess | None = None
        self.channel: grpc.Channel | None = None
        self.stub: Any = None
        # Serialised requests by resource URN, reused while the resource's inputs are the same object (Remediate and
        # Analyze send the same request when no internal key is dropped; a provider's struct goes into many).
        self._requests: dict[tuple[str, bool], tuple[dict[str, Any], Any]] = {}
        self._provider_structs: dict[str, tuple[dict[str, Any], Any]] = {}
        self.server: grpc.Server | None = None
        self.stderr: _Drain | None = None
        self.stdout: _Drain | None = None
        self._closed = False
        self.token = uuid.uuid4().hex  # in the pack's environment, to find what it started (processes.py)

    def __enter__(self) -> PackSession:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=_GRPC_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.server)
        engine_port = self.server.add_insecure_port("127.0.0.1:0")
        self.engine_address = f"127.0.0.1:{engine_port}"
        self.server.start()
        env = {
            **os.environ,
            "PULUMI_PROJECT": self.graph.project,
            "PULUMI_STACK": self.graph.stack,
            "PULUMI_ORGANIZATION": self.organization,
            "PULUMI_DRY_RUN": "true",
            RUN_TOKEN_VAR: self.token,
        }
        config = go_json(self.graph.config)
        # As the engine: `-m pulumi.policy <engine> <pack>` with PULUMI_CONFIG in the environment, unless too large.
        entry = ["-m", "pulumi.policy"]
        stdin: Any = subprocess.DEVNULL
        if len(config.encode()) <= ENV_CONFIG_LIMIT:
            env["PULUMI_CONFIG"] = config
        else:
            env.pop("PULUMI_CONFIG", None)
            entry = ["-c", _STDIN_CONFIG_BOOTSTRAP]
            stdin = tempfile.TemporaryFile()  # noqa: SIM115 - unlinked already; closed right after the start
            stdin.write(config.encode())
            stdin.seek(0)
        command = [pack_python(self.pack, self.manifest), "-u", *entry, f"127.0.0.1:{engine_port}", str(self.pack)]
        try:
            self.process = _LAUNCHER[0](command, self.pack, env, stdin)
        except OSError as exc:
            raise PackError(self.pack, f"cannot start {command[0]}: {exc.strerror}") from None
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        assert self.process.stderr is not None and self.process.stdout is not None
        self.stderr = _Drain(self.process.stderr)
        if self._closed:  # closed by a cancelled run while this thread was starting the pack: stop it now
            self._closed = False
            self.close()
            raise_cancelled()
        port = self._read_port()
        self.stdout = _Drain(self.process.stdout)  # the engine logs a pack's output; here it is drained
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        ready = grpc.channel_ready_future(self.channel)
        try:
            self._wait(ready, self.start_timeout)
        except grpc.FutureTimeoutError:
            raise PackError(
                self.pack, f"printed port {port} but accepted no connection within {self.start_timeout:g}s"
            ) from None
        finally:
            ready.cancel()

    def _wait(self, future: Any, timeout: float | None) -> Any:
        """`future.result()` in short slices, so a cancelled run stops waiting at once (a signal is handled in the
        main thread between slices; worker threads see CANCEL)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if CANCEL.is_set():
                future.cancel()
                raise_cancelled()
            step = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if step <= 0:
                raise grpc.FutureTimeoutError()
            try:
                return future.result(timeout=step)
            except grpc.FutureTimeoutError:
                continue

    def _read_port(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                if CANCEL.is_set():
                    raise_cancelled()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PackError(self.pack, f"printed no port within {self.start_timeout:g}s (hung at start?)")
                if len(line) > 4096:
                    raise PackError(self.pack, "printed 4 KiB and no port (does it print before PolicyPack()?)")
                if not selector.select(timeout=min(remaining, _POLL)):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 1)
                if not chunk:
                    code = self.process.wait(timeout=5)
                    raise PackError(self.pack, f"exited with code {code} before serving{self._stderr_tail()}")
                line += chunk
        text = line.decode(errors="replace").strip()
        if not text.isdigit() or not 0 < int(text) < 65536:
            raise PackError(
                self.pack, f"printed {text[:80]!r} where a port was expected (does it print before PolicyPack()?)"
            )
        return int(text)

    def _stderr_tail(self, limit: int = 600) -> str:
        text = self.stderr.text(wait=2.0).strip() if self.stderr is not None else ""
        if not text:
            return ""
        lines = [ln for ln in text.splitlines() if ln.strip()]
        tail = " | ".join(lines[-4:])
        return f": {tail[-limit:]}"

    def _exit_code(self, grace: float) -> int | None:
        """The pack's exit code if it has exited or exits within `grace` seconds (a broken stream often arrives
        before the process is reaped), else None."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        """Stop the pack's process group, then anything it started outside the group; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.channel is not None:
            self.channel.close()
        if self.process is not None and self.process.poll() is None:
            grace = 0.5 if CANCEL.is_set() else 3.0  # cancelled: the user is waiting
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # what the pack left behind in its group
            kill_tagged(self.token)
        if self.process is not None and self.stdout is None and self.process.stdout is not None:
            self.process.stdout.close()  # never handed to a drain (no port was read)
        for drain in (self.stdout, self.stderr):
            if drain is not None:
                drain.thread.join(timeout=0.1)  # a process outside the group may still hold the pipe
        if self.server is not None:
            self.server.stop(grace=None)

    # -- calls ---------------------------------------------------------------------------------------------------
    def _call(self, method: str, request: Any, *, optional: bool = False, timeout: float | None = None) -> Any:
        return self._answer(method, self._send(method, request, timeout), optional=optional, timeout=timeout)

    def _send(self, method: str, request: Any, timeout: float | None = None) -> Any:
        """Start a call without waiting for its answer (a grpc future); `_answer` waits for it."""
        assert self.channel is not None
        if self.stub is None:
            self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return getattr(self.stub, method).future(request, timeout=timeout or self.rpc_timeout)

    def _answer(self, method: str, call: Any, *, optional: bool = False, timeout: float | None = None) -> Any:
        try:
            return self._wait(call, None)  # the call's own deadline bounds it; a cancelled run stops waiting
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            if optional and code == grpc.StatusCode.UNIMPLEMENTED:
                return None  # the engine falls back to the older protocol
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                limit = timeout or self.rpc_timeout
                if method == "AnalyzeStack":
                    problem = (
                        f"did not answer AnalyzeStack for {len(self.graph.resources):,} resources within {limit:g}s "
                        f"(--pack-timeout {self.rpc_timeout:g}s per {STACK_RESOURCES_PER_TIMEOUT:,} resources); "
                        "if the pack is not hung, raise --pack-timeout"
                    )
                else:
                    problem = f"did not answer {method} within {limit:g}s (hung? raise --pack-timeout if not)"
            elif (code_on_exit := self._exit_code(grace=2.0)) is not None:
                problem = f"crashed during {method} (exit code {code_on_exit}){self._stderr_tail()}"
            else:
                details = exc.details() if hasattr(exc, "details") else str(exc)
                problem = f"failed {method}: {details}"
            raise PackError(self.pack, problem) from None

    def _info(self) -> PackInfo:
        info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        policies = {}
        for p in info.policies:
            schema = None
            if p.HasField("configSchema"):
                schema = {
                    "properties": json_format.MessageToDict(p.configSchema.properties),
                    "required": list(p.configSchema.required),
                }
            policies[p.name] = PolicyMeta(
                name=p.name,
                description=p.description,
                enforcement_level=_LEVELS.get(p.enforcementLevel, "advisory"),
                severity=_SEVERITIES.get(p.severity, ""),
                remediation=p.remediation_steps,
                policy_type=_POLICY_TYPES.get(p.policy_type, ""),
                config_schema=schema,
            )
        initial = {
            name: PolicyConfig(_LEVELS.get(c.enforcementLevel, "advisory"), json_format.MessageToDict(c.properties))
            for name, c in info.initialConfig.items()
        }
        # Python packs report 0.0.1; the engine takes the version from PulumiPolicy.yaml.
        version = str(self.manifest.get("version") or info.version)
        return PackInfo(
            name=info.name,
            version=version,
            reported_version=info.version,
            path=str(self.pack),
            policies=policies,
            supports_config=info.supportsConfig,
            initial_config=initial,
        )

    def load(self, config: PolicyConfigFile | None) -> list[ConfigIssue]:
        """Handshake, ConfigureStack, GetPluginInfo, GetAnalyzerInfo and Configure with the reconciled policy
        config; returns the config's validation errors (the caller fails the run on any)."""
        graph = self.graph
        self._call(
            "Handshake",
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=self.engine_address, root_directory=str(self.pack), program_directory=str(self.pack)
            ),
            optional=True,
        )
        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=graph.stack,
                project=graph.project,
                organization=self.organization,
                dry_run=True,
                config=graph.config,
                config_secret_keys=[],  # `secure:` values are not in the offline config at all
                tags=graph.tags,
            ),
            optional=True,
        )
        self._call("GetPluginInfo", empty_pb2.Empty())
        info = self._info()
        where = config.path if config is not None else str(self.pack)
        if not info.supports_config:
            if config is not None:
                return [ConfigIssue(where, "-", f"policy pack {info.name} does not support config")]
            self.pack_info = info
            return []
        schemas = [
            PolicySchema(
                name=m.name,
                level=m.enforcement_level,
                properties=dict((m.config_schema or {}).get("properties") or {}),
                required=tuple((m.config_schema or {}).get("required") or ()),
            )
            for m in info.policies.values()
        ]
        reconciled, errors = reconcile(schemas, info.initial_config, config.policies if config else None)
        if errors:
            return [
                ConfigIssue(
                    where,
                    error.split(": ", 1)[0],
                    f"validating policy config for pack {info.name} {info.version}: {error.split(': ', 1)[1]}",
                )
                for error in errors
            ]
        unset = sorted(name for name, c in reconciled.items() if c.level not in LEVELS)
        if unset:
            return [
                ConfigIssue(
                    where, name, f"not a policy of pack {info.name} and sets no enforcementLevel (the engine fails)"
                )
                for name in unset
            ]
        # The engine passes a name that is no policy of the pack on to it, where nothing reads it: a misspelt policy
        # keeps its default level without a word. Fail closed instead.
        unknown = sorted(set(config.policies) - set(info.policies) - {ALL}) if config is not None else []
        if unknown:
            known = ", ".join(sorted(info.policies))
            return [
                ConfigIssue(
                    where,
                    name,
                    f"not a policy of pack {info.name} (pulumi passes it on unused; crosscloud refuses it so a "
                    "misspelt name cannot leave a policy at its default level)",
                    known,
                )
                for name in unknown
            ]
        # Likewise a property a policy's schema does not declare: pulumi's schema allows it, nothing reads it.
        undeclared = [
            (name, key, meta)
            for name, given in (config.policies.items() if config is not None else ())
            if (meta := info.policies.get(name)) is not None
            for key in sorted(given.properties or {})
            if key not in ((meta.config_schema or {}).get("properties") or {})
        ]
        if undeclared:
            return [
                ConfigIssue(
                    where,
                    f"{name}.{key}",
                    f"is not a config property of policy {name} in pack {info.name} (pulumi passes it on unused)",
                    ", ".join(sorted((meta.config_schema or {}).get("properties") or {})) or "none",
                )
                for name, key, meta in undeclared
            ]
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, c in reconciled.items():
            entry = analyzer_pb2.PolicyConfig(enforcementLevel=ENFORCEMENT_LEVELS[c.level])
            if c.properties:
                entry.properties.update(c.properties)
            request.policyConfig[name].CopyFrom(entry)
        if reconciled:  # the engine skips Configure for an empty config
            self._call("Configure", request)
        policies = {
            name: replace(meta, enforcement_level=reconciled[name].level) if name in reconciled else meta
            for name, meta in info.policies.items()
        }
        self.pack_info = replace(info, policies=policies, config_file=config.path if config else None)
        return []

    @property
    def info(self) -> PackInfo:
        assert self.pack_info is not None, "load() first"
        return self.pack_info

    def _options(self, resource: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
        dbr = resource.delete_before_replace
        timeouts = resource.custom_timeouts
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=resource.protect,
            ignoreChanges=resource.ignore_changes,
            deleteBeforeReplace=bool(dbr),
            deleteBeforeReplaceDefined=dbr is not None,
            additionalSecretOutputs=resource.additional_secret_outputs,
            # The engine sends only the alias that matched a resource in the stack's state (none at a first preview).
            aliases=[],
            customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
                create=timeouts.get("create", 0.0),
                update=timeouts.get("update", 0.0),
                delete=timeouts.get("delete", 0.0),
                read=timeouts.get("read", 0.0),
            ),
            parent=resource.parent or "",
        )

    def _provider(
        self, resource: Resource, by_urn: dict[str, Resource]
    ) -> analyzer_pb2.AnalyzerProviderResource | None:
        provider = by_urn.get(resource.provider) if resource.provider else None
        if provider is None:
            return None
        cached = self._provider_structs.get(provider.urn)
        if cached is None or cached[0] is not provider.inputs:
            message = analyzer_pb2.AnalyzerProviderResource(
                type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
            )
            cached = self._provider_structs[provider.urn] = (provider.inputs, message)
        return cached[1]

    def _request(self, resource: Resource, by_urn: dict[str, Resource], *, internal: bool) -> Any:
        # Without internal keys both kinds of request are the same message: build it once.
        internal = internal and any(k.startswith("__") for k in resource.inputs)
        cached = self._requests.get((resource.urn, internal))
        if cached is not None and cached[0] is resource.inputs:
            return cached[1]
        request = self._build_request(resource, by_urn, internal=internal)
        self._requests[(resource.urn, internal)] = (resource.inputs, request)
        return request

    def _build_request(self, resource: Resource, by_urn: dict[str, Resource], *, internal: bool) -> Any:
        return analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.inputs, internal=internal),
            urn=resource.urn,
            name=resource.name,
            options=self._options(resource),
            provider=self._provider(resource, by_urn),
        )

    def remediate(self, resource: Resource, by_urn: dict[str, Resource]) -> tuple[list[Remediation], list[Violation]]:
        """Let the pack's remediate-level policies rewrite `resource.inputs` in place, as the engine does before
        Analyze; a remediation that could not run at preview is an advisory violation."""
        return self.remediate_answer(resource, self.remediate_send(resource, by_urn))

    def remediate_send(self, resource: Resource, by_urn: dict[str, Resource]) -> Any:
        return self._send("Remediate", self._request(resource, by_urn, internal=True))

    def remediate_answer(self, resource: Resource, call: Any) -> tuple[list[Remediation], list[Violation]]:
        """Apply the answer of `remediate_send` to `resource.inputs`."""
        info = self.info
        response = self._answer("Remediate", call, optional=True)
        remediations: list[Remediation] = []
        violations: list[Violation] = []
        for r in response.remediations if response is not None else []:
            version = info.version or r.policyPackVersion
            if r.diagnostic:
                violations.append(
                    Violation(
                        policy_pack=r.policyPackName or info.name,
                        policy_pack_version=version,
                        policy=r.policyName,
                        enforcement_level="advisory",
                        severity=(meta.severity if (meta := info.policies.get(r.policyName)) else ""),
                        urn=resource.urn,
                        message=" ".join(self._true_version(r.diagnostic).split()),
                        description=r.description,
                    )
                )
                continue
            after = json_format.MessageToDict(r.properties)
            before = resource.inputs
            changed = {k for k in set(before) | set(after) if before.get(k, _MISSING) != after.get(k, _MISSING)}
            remediations.append(
                Remediation(
                    policy_pack=r.policyPackName or info.name,
                    policy_pack_version=version,
                    policy=r.policyName,
                    urn=resource.urn,
                    description=r.description,
                    before={k: before[k] for k in sorted(changed) if k in before},
                    after={k: after[k] for k in sorted(changed) if k in after},
                )
            )
            resource.inputs = after
            resource.remediated_by.append(f"{r.policyPackName or info.name}/{r.policyName}")
        return remediations, violations

    def analyze(self, resource: Resource, by_urn: dict[str, Resource]) -> list[Violation]:
        return self.analyze_many([resource], by_urn)

    def analyze_many(
        self, resources: list[Resource], by_urn: dict[str, Resource], in_flight: int | None = None
    ) -> list[Violation]:
        """Analyze each resource, sent in order with up to `in_flight` calls awaiting their answers (the pack
        serves them on its own threads; a new call goes out as each answer comes in, so the pack never waits for a
        batch to drain); violations come back in the order of `resources`."""
        found: list[Violation] = []
        window = in_flight or IN_FLIGHT
        waiting: collections.deque[tuple[Resource, Any]] = collections.deque()
        queue = iter(resources)
        while True:
            while len(waiting) < window and (resource := next(queue, None)) is not None:
                waiting.append((resource, self._send("Analyze", self._request(resource, by_urn, internal=False))))
            if not waiting:
                return found
            resource, call = waiting.popleft()
            answer = self._answer("Analyze", call)
            PROGRESS.step()
            found.extend(self._violations(answer, lambda _urn, urn=resource.urn: urn))

    def analyze_stack(self, graph: Graph) -> list[Violation]:
        by_urn = graph.by_urn()
        resources = [
            analyzer_pb2.AnalyzerResource(
                type=r.type,
                properties=_struct(r.stack_properties()),
                urn=r.urn,
                name=r.name,
                options=self._options(r),
                provider=self._provider(r, by_urn),
                parent=r.parent or "",
                dependencies=r.dependencies,
                propertyDependencies={
                    k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                    for k, v in r.property_dependencies.items()
                    if v
                },
            )
            for r in graph.resources
        ]
        response = self._call(
            "AnalyzeStack",
            analyzer_pb2.AnalyzeStackRequest(resources=resources),
            optional=True,
            timeout=analyze_stack_timeout(self.rpc_timeout, len(resources)),
        )
        PROGRESS.step()
        if response is None:
            return []
        stack_urn = graph.stack_urn
        # A stack violation names a resource of the stack, else the stack itself (resolveStackPolicyViolationURN).
        return self._violations(response, lambda urn: urn if urn in by_urn else stack_urn)

    def _true_version(self, text: str) -> str:
        """pulumi_policy writes its own hard-coded version ("0.0.1") into the text of some messages ("can't run
        policy ... from policy pack 'name@v0.0.1' during preview"); the engine reports PulumiPolicy.yaml's version for
        the pack (analyzer_plugin.go), so the message names that one too."""
        info = self.info
        if info.reported_version and info.reported_version != info.version:
            return text.replace(f"'{info.name}@v{info.reported_version}'", f"'{info.name}@v{info.version}'")
        return text

    def _violations(self, response: Any, resolve: Any) -> list[Violation]:
        info = self.info
        found = []
        for d in response.diagnostics:
            meta = info.policies.get(d.policyName)
            description = d.description or (meta.description if meta else "")
            message = d.message.removeprefix(description).lstrip("\n") if description else d.message
            message = self._true_version(message)
            level = _LEVELS.get(d.enforcementLevel, "advisory")
            found.append(
                Violation(
                    policy_pack=d.policyPackName or info.name,
                    policy_pack_version=info.version,
                    policy=d.policyName,
                    # A violation still reported after remediation is mandatory (analyzeResource, AnalyzeResources).
                    enforcement_level="mandatory" if level == "remediate" else level,
                    severity=_SEVERITIES.get(d.severity, "") or (meta.severity if meta else ""),
                    urn=resolve(d.urn),
                    message=" ".join((message or description).split()),
                    description=description,
                )
            )
        return found


_MISSING = object()
ENFORCEMENT_LEVELS = {name: value for value, name in _LEVELS.items()}


def run_pack(
    pack: Path,
    graph: Graph,
    policy_config: PolicyConfigFile | None = None,
    *,
    start_timeout: float = 60.0,
    rpc_timeout: float = 60.0,
    organization: str = "organization",
) -> tuple[PackInfo, list[Violation]]:
    """Start `pack`, run the whole graph through it (Remediate, Analyze, AnalyzeStack) and stop it; PackError on
    any failure of the pack, DeclarationError on invalid policy config."""
    from crosscloud.engine.check import PackRun, check_graph

    result = check_graph(
        graph,
        [PackRun(pack, policy_config)],
        start_timeout=start_timeout,
        rpc_timeout=rpc_timeout,
        organization=organization,
    )
    return result.packs[0], result.violations
