"""crosscloud's component provider as the Pulumi engine drives it, without the Pulumi CLI.

The provider runs as its own process, started the way the Python language host starts a source-based plugin
(`python <plugin folder> <engine address>`, the folder holding PulumiPlugin.yaml), and prints its port. This side
plays the engine: an Engine service for its logs, and a resource monitor that answers `SupportsFeature` (the features
the engine's resource monitor reports), records every `RegisterResource` (the offline engine's recording monitor and
mock answers, so both paths see the same outputs and invoke answers) and `RegisterResourceOutputs`. `GetSchema` and
`Construct` go over gRPC as the engine sends them.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import typing
from collections.abc import Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from crosscloud.engine import synth
from crosscloud.engine.graph import STACK_TYPE, Resource
from crosscloud.platform.args import DeclarationArgs
from crosscloud.platform.inputs import _strip, camel

CHECKOUT = Path(__file__).resolve().parent.parent  # the folder with PulumiPlugin.yaml
# What the engine's resource monitor answers to SupportsFeature (pkg/resource/deploy/source_eval.go).
ENGINE_FEATURES = frozenset(
    {
        "secrets",
        "resourceReferences",
        "outputValues",
        "aliasSpecs",
        "replacementTrigger",
        "deletedWith",
        "replaceWith",
        "transforms",
        "invokeTransforms",
        "parameterization",
        "resourceHooks",
        "errorHooks",
        "sendsOptionsToHooks",
    }
)


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802 - gRPC method name
        self.logs.append((request.severity, request.message))
        return empty_pb2.Empty()


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The engine's side of the resource monitor: features, registrations (recorded), invokes (mock answers)."""

    def __init__(self, project: str, stack: str, config: dict[str, str]) -> None:
        account = synth._json_field(config, "crosscloud:aws", "account_id") or synth.DEFAULT_ACCOUNT_ID
        subscription = synth._json_field(config, "crosscloud:azure", "subscription_id") or synth.DEFAULT_SUBSCRIPTION_ID
        self.recording = synth.RecordingMonitor(synth.PreviewMocks(account, subscription), project, stack, config)
        self.features: list[str] = []
        self.lock = threading.Lock()

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        # Not offered, as by engines before it existed: the SDK then asks SupportsFeature, feature by feature.
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details("GetDeploymentInfo is not offered; ask SupportsFeature")
        return resource_pb2.DeploymentInfo()

    def SupportsFeature(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.features.append(request.id)
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in ENGINE_FEATURES)

    def RegisterResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        with self.lock:
            return self.recording.RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:  # noqa: N802
        with self.lock:
            return self.recording.RegisterResourceOutputs(request)

    def Invoke(self, request: Any, context: Any) -> Any:  # noqa: N802
        with self.lock:
            return self.recording.Invoke(request)


@dataclass
class Constructed:
    """What one Construct call produced: the response, the recorded resources and the provider's log lines."""

    urn: str
    state: dict[str, Any]
    resources: list[Resource]
    logs: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)  # what the provider asked SupportsFeature

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}


class Provider:
    """A running provider process and a stub to it."""

    def __init__(self, process: subprocess.Popen[bytes], channel: grpc.Channel, engine: _Engine, address: str):
        self.process, self.channel, self.engine, self.engine_address = process, channel, engine, address
        self.stub = provider_pb2_grpc.ResourceProviderStub(channel)

    def schema(self) -> str:
        return str(self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60).schema)

    def version(self) -> str:
        return str(self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=60).version)

    def construct(
        self,
        type_: str,
        name: str,
        inputs: Mapping[str, Any],
        *,
        project: str = "crosscloud",
        stack: str = "dev",
        config: dict[str, str] | None = None,
        providers: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> Constructed:
        """Construct `type_` over gRPC as a first preview would (dryRun), with `inputs` already in schema names."""
        config = dict(config or {})
        monitor = _Monitor(project, stack, config)
        for reference in (providers or {}).values():  # registered by the consumer's program before it constructs
            urn, _, id_ = reference.rpartition("::")
            monitor.recording.resources[urn] = monitor.recording.ResourceRegistration(urn, id_, {"region": "us-east-1"})
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        first_log = len(self.engine.logs)
        try:
            struct = struct_pb2.Struct()
            struct.update(dict(inputs))
            response = self.stub.Construct(
                provider_pb2.ConstructRequest(
                    project=project,
                    stack=stack,
                    organization="organization",
                    config=config,
                    dryRun=True,
                    parallel=8,
                    monitorEndpoint=f"127.0.0.1:{port}",
                    type=type_,
                    name=name,
                    parent=f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}",
                    inputs=struct,
                    providers=providers or {},
                    accepts_output_values=True,
                ),
                timeout=timeout,
            )
        finally:
            server.stop(grace=None)
        recording = monitor.recording
        resources = [synth._resource(reg, {}, project, stack, []) for reg in recording.registrations]
        for resource in resources:
            if not resource.custom:
                resource.outputs = recording.registered_outputs.get(resource.urn, {})
        from google.protobuf import json_format

        return Constructed(
            urn=response.urn,
            state=json_format.MessageToDict(response.state),
            resources=sorted(resources, key=synth._stable_order),
            logs=[message for _, message in self.engine.logs[first_log:]],
            features=list(monitor.features),
        )


@contextmanager
def running_provider() -> Iterator[Provider]:
    """Start the provider as the language host does and stop it (its whole process group) afterwards."""
    engine = _Engine()
    engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, engine_server)
    engine_port = engine_server.add_insecure_port("127.0.0.1:0")
    engine_server.start()
    address = f"127.0.0.1:{engine_port}"
    process = subprocess.Popen(
        [sys.executable, str(CHECKOUT), address],
        cwd=CHECKOUT.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            err = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"the provider printed no port ({line!r}): {err[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=60)
        yield Provider(process, channel, engine, address)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)
        engine_server.stop(grace=None)


def schema_inputs(value: Any, annotation: Any = DeclarationArgs) -> Any:
    """Declaration args (Python names) as a consumer's SDK sends them: the schema's camelCase property names, enum
    values, dict keys as written."""
    annotation = _strip(annotation)
    if isinstance(value, Enum):
        return value.value
    if typing.is_typeddict(annotation) and isinstance(value, Mapping):
        hints = typing.get_type_hints(annotation)
        return {camel(k): schema_inputs(v, hints.get(k, Any)) for k, v in value.items()}
    if isinstance(value, list):
        args = typing.get_args(annotation)
        return [schema_inputs(v, args[0] if args else Any) for v in value]
    if isinstance(value, Mapping):
        args = typing.get_args(annotation)
        return {k: schema_inputs(v, args[1] if len(args) == 2 else Any) for k, v in value.items()}
    return value
