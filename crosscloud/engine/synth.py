"""Run the Pulumi program in-process under the SDK's mock monitor and record every RegisterResource request.

With `preview=True` and mocks that echo inputs back as outputs, what a provider would compute stays unknown, as in a
first `pulumi preview`; the recorded request is the one the engine would receive from the same program.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import wait_for_rpcs

from crosscloud.engine.graph import Graph, Resource
from crosscloud.engine.project import Project

# Plausible answers for the invokes a program may make at preview time, keyed by invoke token.
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_TENANT_ID = "00000000-0000-0000-0000-00000000c0de"
DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000a1"


class ProgramError(Exception):
    """The Pulumi program itself failed (a bug in the program or a component), not the user's input."""


class PreviewMocks(mocks.Mocks):
    """Echo inputs as outputs (computed outputs stay unknown) and answer the invokes a program may need."""

    def __init__(self, account_id: str, subscription_id: str) -> None:
        self.account_id, self.subscription_id = account_id, subscription_id

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return None, dict(args.inputs)  # no ID: unknown until the resource exists, as in a real preview

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        account = self.account_id
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": account,
                "arn": f"arn:aws:sts::{account}:assumed-role/crosscloud-preview/offline",
                "userId": "AROAOFFLINEPREVIEW:offline",
                "id": account,
            },
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
            # A Capacity Block offering matching the request, in the first zone of the requested Region.
            "aws:ec2/getCapacityBlockOffering:getCapacityBlockOffering": {
                **dict(args.args),
                "capacityBlockOfferingId": "cb-0offline0preview0",
                "availabilityZone": f"{args.args.get('region', 'us-east-1')}a",
                "currencyCode": "USD",
                "tenancy": "default",
                "upfrontFee": "0.00",
            },
            "azure-native:authorization:getClientConfig": {
                "clientId": "00000000-0000-0000-0000-0000000c11e7",
                "objectId": "00000000-0000-0000-0000-00000000b1ec",
                "subscriptionId": self.subscription_id,
                "tenantId": DEFAULT_TENANT_ID,
            },
        }
        if args.token not in answers:
            raise ProgramError(f"the offline engine has no answer for invoke {args.token}; add one to PreviewMocks")
        return answers[args.token], []


@dataclass
class _Registration:
    urn: str
    request: Any


class RecordingMonitor(mocks.MockMonitor):
    """The SDK mock monitor, keeping every RegisterResource request (the Stack's included) in registration order."""

    def __init__(self, preview_mocks: mocks.Mocks) -> None:
        super().__init__(preview_mocks)
        self.registrations: list[_Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.registrations.append(_Registration(response.urn, request))
        return response


def _provider_urn(reference: str) -> str | None:
    """A provider reference is '<urn>::<id>'; the graph names providers by URN."""
    return reference.rsplit("::", 1)[0] if reference else None


def _resource(reg: _Registration) -> Resource:
    req: resource_pb2.RegisterResourceRequest = reg.request
    return Resource(
        urn=reg.urn,
        type=req.type,
        name=req.name,
        parent=req.parent or None,
        provider=_provider_urn(req.provider),
        custom=req.custom,
        inputs=json_format.MessageToDict(req.object),
        dependencies=list(req.dependencies),
        property_dependencies={k: list(v.urns) for k, v in req.propertyDependencies.items()},
        protect=bool(req.protect),
        retain_on_delete=bool(req.retainOnDelete),
        ignore_changes=list(req.ignoreChanges),
    )


async def _known_outputs(stack: pulumi.Resource | None) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for key, value in (getattr(stack, "outputs", None) or {}).items():
        output = pulumi.Output.from_input(value)
        outputs[key] = await output.future() if await output.is_known() else None
    return outputs


def record(
    project: str, stack: str, config: dict[str, str], body: Callable[[], object]
) -> tuple[list[Resource], dict[str, Any]]:
    """Run `body` (a program) under the recording mock monitor; return its resources and known stack outputs."""
    settings.reset_options(project=project, stack=stack, preview=True)
    settings._get_rpc_manager().clear()
    pulumi.runtime.set_all_config(dict(config), [])
    account = _json_field(config, "crosscloud:aws", "account_id") or DEFAULT_ACCOUNT_ID
    subscription = _json_field(config, "crosscloud:azure", "subscription_id") or DEFAULT_SUBSCRIPTION_ID
    monitor = RecordingMonitor(PreviewMocks(account, subscription))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor)
        body()
        loop.run_until_complete(wait_for_rpcs())
        outputs = loop.run_until_complete(_known_outputs(settings.get_root_resource()))
    except pulumi.RunError as exc:  # the program's own clean failure: its message is the whole story
        raise ProgramError(str(exc)) from None
    except ProgramError:
        raise
    except Exception as exc:
        raise ProgramError(f"{type(exc).__name__}: {exc}{_where(exc)}") from exc
    finally:
        settings._get_rpc_manager().clear()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
    return sorted((_resource(r) for r in monitor.registrations), key=_stable_order), outputs


def _stable_order(resource: Resource) -> tuple[int, bool, str]:
    """Registration order depends on the event loop; sort parents first (fewer '$' in the URN's type chain), the
    Stack first of all, then by URN, so the same program always yields the same graph file."""
    type_chain = resource.urn.split("::")[2] if resource.urn.count("::") >= 3 else ""
    return type_chain.count("$"), resource.type != "pulumi:pulumi:Stack", resource.urn


def synthesize(project: Project, stack: str, config: dict[str, str]) -> Graph:
    """Run `project`'s program for `stack` with `config` (wire form: JSON strings) and return its resource graph."""
    program_dir = str(project.program.parent)
    sys.path.insert(0, program_dir)  # as the language host does, for the program's own modules
    try:
        resources, outputs = record(
            project.name, stack, config, lambda: runpy.run_path(str(project.program), run_name="__main__")
        )
    finally:
        sys.path.remove(program_dir)
    return Graph(project=project.name, stack=stack, config=dict(config), resources=resources, outputs=outputs)


def _where(exc: BaseException) -> str:
    """' (at file:line)' of the innermost frame, so a program bug is locatable without a full traceback."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f" (at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})" if tb is not None else ""


def _json_field(config: dict[str, str], key: str, field: str) -> str | None:
    try:
        value = json.loads(config.get(key, "{}"))
    except json.JSONDecodeError:
        return None
    found = value.get(field) if isinstance(value, dict) else None
    return found if isinstance(found, str) else None
