"""Run one policy pack as its own process and talk to it over the analyzer gRPC interface, as the Pulumi engine does.

The pack is started as `<python> -u -m pulumi.policy <engine-address> <pack-dir>` in the pack's folder, with the stack
in PULUMI_PROJECT / PULUMI_STACK / PULUMI_CONFIG / PULUMI_DRY_RUN; its first stdout line is its port. Then:
ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Configure (if there is policy config), Analyze per resource,
AnalyzeStack. A pack that crashes, hangs or never prints a port is an error of the run, never "no violations", and
its process group is always stopped.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from crosscloud.engine.graph import Graph, Resource
from crosscloud.engine.project import POLICY_PACK_FILE
from crosscloud.engine.violations import PackInfo, PolicyMeta, Violation

_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 512 * 1024 * 1024),
    ("grpc.max_send_message_length", 512 * 1024 * 1024),
]
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


class PackError(Exception):
    """A policy pack failed to start, crashed, hung or answered nonsense: the run has no valid result."""

    def __init__(self, pack: Path, problem: str) -> None:
        super().__init__(f"policy pack {pack.name} ({pack}): {problem}")
        self.pack = pack


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine endpoint a pack's SDK may log to; messages are kept for diagnostics."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802
        self.logs.append(request.message)
        return empty_pb2.Empty()


def pack_manifest(pack: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load((pack / POLICY_PACK_FILE).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
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


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    # The engine drops internal keys ("__defaults", ...) before analyzers see the properties.
    return json_format.ParseDict({k: v for k, v in value.items() if not k.startswith("__")}, struct_pb2.Struct())


class PackSession:
    """One running pack process and its gRPC channel; use as a context manager so it is always stopped."""

    def __init__(self, pack: Path, graph: Graph, *, start_timeout: float, rpc_timeout: float) -> None:
        self.pack = pack.resolve()
        self.graph = graph
        self.start_timeout, self.rpc_timeout = start_timeout, rpc_timeout
        self.manifest = pack_manifest(self.pack)
        self.engine = _Engine()
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.server: grpc.Server | None = None
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(), which __exit__ always runs

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
        self.server.start()
        env = {
            **os.environ,
            "PULUMI_PROJECT": self.graph.project,
            "PULUMI_STACK": self.graph.stack,
            "PULUMI_ORGANIZATION": "organization",
            "PULUMI_DRY_RUN": "true",
            "PULUMI_CONFIG": json.dumps(self.graph.config),
        }
        command = [
            pack_python(self.pack, self.manifest),
            "-u",
            "-m",
            "pulumi.policy",
            f"127.0.0.1:{engine_port}",
            str(self.pack),
        ]
        try:
            self.process = subprocess.Popen(
                command,
                cwd=self.pack,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                start_new_session=True,
            )
        except OSError as exc:
            raise PackError(self.pack, f"cannot start {command[0]}: {exc.strerror}") from None
        port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=self.start_timeout)
        except grpc.FutureTimeoutError:
            raise PackError(
                self.pack, f"printed port {port} but accepted no connection within {self.start_timeout:g}s"
            ) from None

    def _read_port(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PackError(self.pack, f"printed no port within {self.start_timeout:g}s (hung at start?)")
                if not selector.select(timeout=remaining):
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
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace").strip()
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
        if self.channel is not None:
            self.channel.close()
        if self.process is not None and self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self.server is not None:
            self.server.stop(grace=None)
        self.stderr.close()

    # -- calls ---------------------------------------------------------------------------------------------------
    def _call(self, method: str, request: Any) -> Any:
        assert self.channel is not None
        stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        try:
            return getattr(stub, method)(request, timeout=self.rpc_timeout)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                problem = f"did not answer {method} within {self.rpc_timeout:g}s (hung?)"
            elif (code_on_exit := self._exit_code(grace=2.0)) is not None:
                problem = f"crashed during {method} (exit code {code_on_exit}){self._stderr_tail()}"
            else:
                details = exc.details() if hasattr(exc, "details") else str(exc)
                problem = f"failed {method}: {details}"
            raise PackError(self.pack, problem) from None

    def info(self) -> PackInfo:
        info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        policies = {
            p.name: PolicyMeta(
                name=p.name,
                description=p.description,
                enforcement_level=_LEVELS.get(p.enforcementLevel, "advisory"),
                severity=_SEVERITIES.get(p.severity, ""),
                remediation=p.remediation_steps,
                policy_type=_POLICY_TYPES.get(p.policy_type, ""),
            )
            for p in info.policies
        }
        # Python packs report 0.0.1; the engine takes the version from PulumiPolicy.yaml.
        version = str(self.manifest.get("version") or info.version)
        return PackInfo(name=info.name, version=version, path=str(self.pack), policies=policies)

    def analyze(self, policy_config: dict[str, Any] | None) -> tuple[PackInfo, list[Violation]]:
        graph = self.graph
        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=graph.stack,
                project=graph.project,
                organization="organization",
                dry_run=True,
                config=graph.config,
                tags={},
            ),
        )
        self._call("GetPluginInfo", empty_pb2.Empty())
        info = self.info()
        if policy_config:  # the engine sends Configure only when there is policy config
            self._call("Configure", _configure_request(info, policy_config))
        by_urn = graph.by_urn()
        violations: list[Violation] = []
        stack_resources = []
        for resource in graph.resources:
            fields = self._resource_fields(resource, by_urn)
            response = self._call("Analyze", analyzer_pb2.AnalyzeRequest(**fields))
            violations.extend(self._violations(info, response, resource.urn))
            stack_resources.append(self._stack_resource(resource, fields))
        stack = analyzer_pb2.AnalyzeStackRequest(resources=stack_resources)
        violations.extend(self._violations(info, self._call("AnalyzeStack", stack), ""))
        return info, violations

    def _options(self, resource: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=resource.protect, ignoreChanges=resource.ignore_changes, parent=resource.parent or ""
        )

    def _provider(
        self, resource: Resource, by_urn: dict[str, Resource]
    ) -> analyzer_pb2.AnalyzerProviderResource | None:
        provider = by_urn.get(resource.provider) if resource.provider else None
        if provider is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
        )

    def _resource_fields(self, resource: Resource, by_urn: dict[str, Resource]) -> dict[str, Any]:
        """The fields AnalyzeRequest and AnalyzerResource share, serialised once per resource."""
        return {
            "type": resource.type,
            "properties": _struct(resource.inputs),
            "urn": resource.urn,
            "name": resource.name,
            "options": self._options(resource),
            "provider": self._provider(resource, by_urn),
        }

    def _stack_resource(self, resource: Resource, fields: dict[str, Any]) -> analyzer_pb2.AnalyzerResource:
        return analyzer_pb2.AnalyzerResource(
            **fields,
            parent=resource.parent or "",
            dependencies=resource.dependencies,
            propertyDependencies={
                k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v) for k, v in resource.property_dependencies.items()
            },
        )

    def _violations(self, info: PackInfo, response: Any, urn: str) -> list[Violation]:
        found = []
        for d in response.diagnostics:
            meta = info.policies.get(d.policyName)
            description = d.description or (meta.description if meta else "")
            message = d.message.removeprefix(description).lstrip("\n") if description else d.message
            found.append(
                Violation(
                    policy_pack=d.policyPackName or info.name,
                    policy_pack_version=info.version,
                    policy=d.policyName,
                    enforcement_level=_LEVELS.get(d.enforcementLevel, "advisory"),
                    severity=_SEVERITIES.get(d.severity, "") or (meta.severity if meta else ""),
                    urn=d.urn or urn,
                    message=" ".join((message or description).split()),
                    description=description,
                )
            )
        return found


ENFORCEMENT_LEVELS = {name: value for value, name in _LEVELS.items()}


def _configure_request(info: PackInfo, policy_config: dict[str, Any]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """Policy config as `--policy-pack-config` gives it: per policy a level or an object; "all" applies to every
    policy without an entry of its own, and its level to every policy whose entry sets none."""
    entries = dict(policy_config)
    shared = entries.pop("all", None)
    shared_level = shared if isinstance(shared, str) else (shared or {}).get("enforcementLevel")
    if shared is not None:
        for policy in info.policies:
            entries.setdefault(policy, shared)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy, settings in entries.items():
        meta = info.policies.get(policy)
        level = shared_level or (meta.enforcement_level if meta else "advisory")
        properties: dict[str, Any] = {}
        if isinstance(settings, str):
            level = settings
        elif isinstance(settings, dict):
            level = str(settings.get("enforcementLevel", level))
            properties = {k: v for k, v in settings.items() if k != "enforcementLevel"}
        config = analyzer_pb2.PolicyConfig(enforcementLevel=ENFORCEMENT_LEVELS[level])
        if properties:
            config.properties.update(properties)
        request.policyConfig[policy].CopyFrom(config)
    return request


def run_pack(
    pack: Path,
    graph: Graph,
    policy_config: dict[str, Any] | None = None,
    *,
    start_timeout: float = 60.0,
    rpc_timeout: float = 60.0,
) -> tuple[PackInfo, list[Violation]]:
    """Start `pack`, run the whole graph through it and stop it; PackError on any failure of the pack."""
    with PackSession(pack, graph, start_timeout=start_timeout, rpc_timeout=rpc_timeout) as session:
        return session.analyze(policy_config)
