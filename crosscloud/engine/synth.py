"""Run the Pulumi program in-process under the SDK's mock monitor and record every RegisterResource request.

With `preview=True` and mocks that echo inputs back as outputs, what a provider would compute stays unknown, as in a
first `pulumi preview`; the recorded request is the one the engine would receive from the same program. Where the
engine itself adds to what the program sent, the recording does the same: URNs of the Stack's children carry no
Stack type, providers get their `version` input, resources without an explicit provider get the package's default
provider (its inputs from the stack config), components and the Stack keep what they registered as outputs, and a
custom resource lists the outputs only its provider can compute.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import json
import re
import runpy
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi import _types
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.proto import alias_pb2, resource_pb2
from pulumi.runtime.stack import wait_for_rpcs

from crosscloud.engine.collector import young_collections_only
from crosscloud.engine.config import engine_config
from crosscloud.engine.graph import SECRET_SHOWN, STACK_TYPE, UNKNOWN, Graph, Resource, name_some
from crosscloud.engine.progress import PROGRESS
from crosscloud.engine.project import Project

# Plausible answers for the invokes a program may make at preview time, keyed by invoke token.
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_TENANT_ID = "00000000-0000-0000-0000-00000000c0de"
DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000a1"
PROVIDER_PREFIX = "pulumi:providers:"
# Packages whose provider's Check does not auto-name a `name` input (azure-native auto-names a path property such as
# `subnetName`, which only the provider's metadata identifies).
NO_NAME_AUTONAMING = frozenset({"azure-native"})
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class ProgramError(Exception):
    """The Pulumi program failed. `by_program`: the failure is the program's own (it raised, or asked for something
    the engine refuses, such as two resources with one URN): bad input of the user's. Otherwise it happened inside
    crosscloud's own code (the engine, a component) and is our failure."""

    def __init__(self, message: str, *, by_program: bool = False) -> None:
        super().__init__(message)
        self.by_program = by_program


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]).resolve() if locations else None


# crosscloud's own code (components and rules included): a failure whose innermost frame of ours is here is our
# failure, not the program's.
OUR_PACKAGES = tuple(d for d in (_package_dir(n) for n in ("crosscloud",)) if d is not None)


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from, outermost first (the SDK wraps a program's exception)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return found


def _blame(exc: BaseException, program_dir: Path) -> tuple[bool, str]:
    """(the program's fault?, ' (at file:line)') from the innermost frame, over the whole exception chain, that is
    either the program's (under `program_dir`) or ours (OUR_PACKAGES); library frames are skipped."""
    for link in reversed(_chain(exc)):
        frames = []
        tb = link.__traceback__
        while tb is not None:
            frames.append((Path(tb.tb_frame.f_code.co_filename), tb.tb_lineno))
            tb = tb.tb_next
        for file, line in reversed(frames):
            resolved = file.resolve() if file.is_absolute() else file
            if resolved.is_relative_to(program_dir):
                return True, f" (at {_shown_path(resolved, program_dir)}:{line})"
            if any(resolved.is_relative_to(d) for d in OUR_PACKAGES):
                return False, f" (at {_shown_path(resolved, program_dir)}:{line})"
    return False, _where(exc)


def _shown_path(file: Path, program_dir: Path) -> str:
    root = program_dir.parent
    return str(file.relative_to(root)) if file.is_relative_to(root) else str(file)


def _as_provider_outputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """azure-native takes `userAssignedIdentities` as a list of identity IDs and returns ARM's map (ID -> details):
    echo the map, as the provider would, so the SDK can read the output as its typed Mapping."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ({str(i): {} for i in v} if k == "userAssignedIdentities" and isinstance(v, list) else walk(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    result: dict[str, Any] = walk(inputs)
    return result


class _ProviderShaped(mocks.Mocks):
    """The program's mocks, with outputs in the shape the provider returns where it differs from the inputs."""

    def __init__(self, inner: mocks.Mocks) -> None:
        self.inner = inner

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = self.inner.new_resource(args)
        return resource_id, _as_provider_outputs(outputs) if args.typ.startswith("azure-native") else outputs

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.inner.call(args)


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
    provider: str | None  # the provider URN, the default provider's when the program named none


@dataclass(frozen=True)
class _Schema:
    """What the SDK class of a resource type says about its properties."""

    computed: tuple[str, ...]  # outputs that are not inputs
    inputs: frozenset[str]


def default_provider_name(version: str) -> str:
    """The engine's name for a default provider: `default` plus the version's parts joined by `_`."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?", version)
    if not match:
        return "default"
    major, minor, patch, pre, build = match.groups()
    parts = [major, minor, patch, *(pre.split(".") if pre else []), *(build.split(".") if build else [])]
    return "default_" + "_".join(parts)


def go_duration_seconds(text: str) -> float:
    """Seconds in a Go duration string ("10m", "1h30m", "90s"), as the engine parses customTimeouts."""
    body = text.lstrip("+-")
    if body in ("0",):
        return 0.0
    matches = list(_DURATION.finditer(body))
    if not matches or "".join(m.group(0) for m in matches) != body:
        raise ProgramError(f"unable to parse customTimeout Value {text}", by_program=True)
    seconds = sum(float(m.group(1)) * _DURATION_SECONDS[m.group(2)] for m in matches)
    return -seconds if text.startswith("-") else seconds


class RecordingMonitor(mocks.MockMonitor):
    """The SDK mock monitor, keeping every RegisterResource request (the Stack's included) in registration order,
    with the default providers the engine would register and the outputs components register."""

    def __init__(self, preview_mocks: mocks.Mocks, project: str, stack: str, config: dict[str, str]) -> None:
        super().__init__(_ProviderShaped(preview_mocks))
        self.project, self.stack, self.config = project, stack, config
        self.registrations: list[_Registration] = []
        self.urns: set[str] = set()
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        self.default_providers: dict[str, Resource] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine's generateURN: the parent's whole qualified type (every ancestor's type, joined by `$`)
        # prefixes the resource's, and the root Stack's type is left out. (The SDK's mock keeps only the parent's own
        # type, which is wrong below the second level.)
        qualified = parent.split("::")[2] if parent else ""
        if qualified and qualified != STACK_TYPE:
            type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        provider = _provider_urn(request.provider)
        if provider is None and request.custom and not request.type.startswith(PROVIDER_PREFIX):
            urn = self.make_urn(request.parent, request.type, request.name)
            provider = self._default_provider(request.type.split(":")[0], request.version, urn)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if response.urn in self.urns:  # the engine refuses a second registration of one URN (pkg/resource/deploy)
            raise ProgramError(f"Duplicate resource URN '{response.urn}'; try giving it a unique name", by_program=True)
        self.urns.add(response.urn)
        self.registrations.append(_Registration(response.urn, request, provider))
        PROGRESS.step()
        return response

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        package = request.tok.split(":")[0]
        if not request.provider and package != "pulumi":  # the engine serves it with the default provider
            self._default_provider(package, request.version, request.tok)
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.registered_outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def _default_provider(self, package: str, version: str, user: str) -> str | None:
        if package == "pulumi":
            return None
        disabled = self.config.get("pulumi:disable-default-providers", "")
        try:
            barred = {str(p).strip() for p in json.loads(disabled)} if disabled else set()
        except json.JSONDecodeError:
            raise ProgramError(f"Failed to parse {disabled}", by_program=True) from None
        if "*" in barred or package in barred:
            raise ProgramError(
                f"Default provider for '{package}' disabled. '{user}' must use an explicit provider.", by_program=True
            )
        name = default_provider_name(version) if version else "default"
        type_ = f"{PROVIDER_PREFIX}{package}"
        urn = f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"
        if urn not in self.default_providers:
            inputs: dict[str, Any] = {
                key.split(":", 1)[1]: value for key, value in self.config.items() if key.split(":", 1)[0] == package
            }
            if version:
                inputs["version"] = version
            self.default_providers[urn] = Resource(
                urn=urn, type=type_, name=name, parent=None, provider=None, custom=True, inputs=inputs
            )
        return urn


def _provider_urn(reference: str) -> str | None:
    """A provider reference is '<urn>::<id>'; the graph names providers by URN."""
    return reference.rsplit("::", 1)[0] if reference else None


def _aliases(req: resource_pb2.RegisterResourceRequest, urn: str, project: str, stack: str) -> list[str]:
    """The alias URNs the program declared, resolved as the engine's step generator does (collapseAliasToUrn)."""
    found = list(req.aliasURNs)
    own_parent = req.parent
    for alias in req.aliases:
        if alias.WhichOneof("alias") == "urn":
            found.append(alias.urn)
            continue
        spec = alias.spec
        parent = spec.parentUrn if spec.WhichOneof("parent") == "parentUrn" and spec.parentUrn else own_parent
        if spec.noParent or (parent and parent.split("::")[2] == STACK_TYPE):
            parent = ""
        type_ = spec.type or req.type
        prefix = (
            parent[: parent.rindex("::")] + "$"
            if parent
            else f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::"
        )
        found.append(f"{prefix}{type_}::{spec.name or req.name}")
    return found


def _resource(
    reg: _Registration, schemas: dict[str, _Schema], project: str, stack: str, auto_named: list[str]
) -> Resource:
    req: resource_pb2.RegisterResourceRequest = reg.request
    inputs = json_format.MessageToDict(req.object)
    if req.type.startswith(PROVIDER_PREFIX) and req.version:
        inputs["version"] = req.version  # the engine adds the plugin version to a provider's inputs
    schema = schemas.get(req.type) if req.custom and not req.type.startswith(PROVIDER_PREFIX) else None
    package = req.type.split(":")[0]
    if schema is not None and "name" in schema.inputs and "name" not in inputs and package not in NO_NAME_AUTONAMING:
        inputs["name"] = UNKNOWN  # the provider's Check would auto-name it (name-<random>) at preview
        auto_named.append(reg.urn)
    timeouts = req.customTimeouts
    return Resource(
        urn=reg.urn,
        type=req.type,
        name=req.name,
        parent=req.parent or None,
        provider=reg.provider,
        custom=req.custom,
        inputs=inputs,
        # The SDK collects dependencies in sets: their order follows the hash seed and means nothing. Sorted, the same
        # program always yields the same graph file.
        dependencies=sorted(set(req.dependencies)),
        property_dependencies={k: sorted(set(v.urns)) for k, v in sorted(req.propertyDependencies.items())},
        protect=bool(req.protect),
        retain_on_delete=bool(req.retainOnDelete),
        ignore_changes=list(req.ignoreChanges),
        delete_before_replace=req.deleteBeforeReplace
        if (req.deleteBeforeReplaceDefined or req.deleteBeforeReplace)
        else None,
        aliases=_aliases(req, reg.urn, project, stack),
        custom_timeouts={
            op: go_duration_seconds(text)
            for op, text in (("create", timeouts.create), ("update", timeouts.update), ("delete", timeouts.delete))
            if text
        },
        additional_secret_outputs=list(req.additionalSecretOutputs),
        computed=list(schema.computed) if schema is not None else [],
    )


def _schema_of(resource: pulumi.Resource) -> _Schema | None:
    """Outputs and inputs of a generated SDK resource class (`Vpc` and its `VpcArgs`), by Pulumi name."""
    cls = type(resource)
    args_cls = getattr(sys.modules.get(cls.__module__), f"{cls.__name__}Args", None)
    if args_cls is None or not _types.is_input_type(args_cls):
        return None
    inputs = frozenset(_types.input_type_py_to_pulumi_names(args_cls).values())
    outputs = _types.resource_pulumi_to_py_names(cls)
    return _Schema(tuple(sorted(k for k in outputs if k not in inputs and k not in ("id", "urn"))), inputs)


def _schema_recorder(
    schemas: dict[str, _Schema], deferred: list[_DeferredAliases]
) -> Callable[[pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None]:
    def record(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if isinstance(args.resource, pulumi.CustomResource) and args.type_ not in schemas:
            schema = _schema_of(args.resource)
            if schema is not None:
                schemas[args.type_] = schema
        specs = _static_alias_specs(args.opts.aliases)
        if not specs:
            return None  # the resource is registered exactly as the program declared it
        deferred.append(_DeferredAliases(args.resource, specs))
        opts = copy.copy(args.opts)
        opts.aliases = None
        return pulumi.ResourceTransformationResult(args.props, opts)

    return record


@dataclass
class _DeferredAliases:
    """Aliases taken off a resource before the SDK resolved them, to be put back into its recorded request."""

    resource: pulumi.Resource
    specs: list[alias_pb2.Alias]


def _static_alias_specs(aliases: Any) -> list[alias_pb2.Alias] | None:
    """The alias specs the SDK would send for `aliases`, when every one is a plain `Alias` (strings, no Outputs, no
    Resource parent: the type aliases provider SDKs add); otherwise None and the SDK resolves them itself.

    Why: azure-native adds ~60 type aliases to every resource, and the SDK resolves each through a chain of Outputs
    and tasks (collapse_alias_to_urn, then create_alias_spec) that cost more than the rest of the registration. Their
    result is the same spec built here directly; the engine matches aliases against saved state only, and an offline
    preview has none, so nothing else changes (the analyzer is sent `aliases: []` either way)."""
    if not aliases:
        return None
    specs = []
    for alias in aliases:
        if not isinstance(alias, pulumi.Alias):
            return None
        fields: list[object] = [alias.name, alias.type_, alias.stack, alias.project, alias.parent]
        if not all(isinstance(value, (str, types.NoneType, types.EllipsisType)) for value in fields):
            return None  # an Output or a Resource: only the SDK can resolve it
        name, type_, stack, project, parent = (value if isinstance(value, str) else "" for value in fields)
        if alias.parent is None:  # explicitly no parent: the resource used to be a child of the Stack
            spec = alias_pb2.Alias.Spec(name=name, type=type_, stack=stack, project=project, noParent=True)
        else:  # `...` keeps the resource's own parent, sent as an empty parentUrn (as create_alias_spec does)
            spec = alias_pb2.Alias.Spec(name=name, type=type_, stack=stack, project=project, parentUrn=parent)
        specs.append(alias_pb2.Alias(spec=spec))
    return specs


async def _restore_aliases(monitor: RecordingMonitor, deferred: list[_DeferredAliases]) -> None:
    """Put deferred alias specs back into the recorded requests, in the order the program declared them."""
    if not deferred:
        return
    urns = await asyncio.gather(*(item.resource.urn.future() for item in deferred))
    by_urn = {urn: item.specs for urn, item in zip(urns, deferred, strict=True)}
    for reg in monitor.registrations:
        specs = by_urn.get(reg.urn)
        if specs is not None:
            reg.request.aliases.extend(specs)


async def _stack_outputs(stack: pulumi.Resource | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stack's exports: known values (unknown as None) for display, and the wire form AnalyzeStack sees."""
    exports = dict(getattr(stack, "outputs", None) or {})
    known: dict[str, Any] = {}
    for key, value in exports.items():
        output = pulumi.Output.from_input(value)
        if await output.is_secret():
            known[key] = SECRET_SHOWN  # shown in previews and written to graph files: never the plaintext
        else:
            known[key] = await output.future() if await output.is_known() else None
    wire = json_format.MessageToDict(await rpc.serialize_properties(exports, {}))
    return known, wire


def record(
    project: str, stack: str, config: dict[str, str], body: Callable[[], object]
) -> tuple[list[Resource], dict[str, Any]]:
    """Run `body` (a program) under the recording mock monitor; return its resources and known stack outputs."""
    return _record(project, stack, config, body, [])


def _record(
    project: str,
    stack: str,
    config: dict[str, str],
    body: Callable[[], object],
    auto_named: list[str],
    program_dir: Path | None = None,
) -> tuple[list[Resource], dict[str, Any]]:
    settings.reset_options(project=project, stack=stack, preview=True)
    settings._get_rpc_manager().clear()
    pulumi.runtime.set_all_config(dict(config), [])
    account = _json_field(config, "crosscloud:aws", "account_id") or DEFAULT_ACCOUNT_ID
    subscription = _json_field(config, "crosscloud:azure", "subscription_id") or DEFAULT_SUBSCRIPTION_ID
    monitor = RecordingMonitor(PreviewMocks(account, subscription), project, stack, config)
    schemas: dict[str, _Schema] = {}
    deferred: list[_DeferredAliases] = []
    with young_collections_only():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor)
            pulumi.runtime.register_stack_transformation(_schema_recorder(schemas, deferred))
            body()
            loop.run_until_complete(wait_for_rpcs())
            loop.run_until_complete(_restore_aliases(monitor, deferred))
            root = settings.get_root_resource()
            outputs, stack_wire = loop.run_until_complete(_stack_outputs(root))
            resources = [_resource(r, schemas, project, stack, auto_named) for r in monitor.registrations]
        except pulumi.RunError as exc:  # the program's own clean failure: its message is the whole story
            raise ProgramError(str(exc), by_program=True) from None
        except ProgramError:
            raise
        except Exception as exc:
            ours = next((e for e in _chain(exc) if isinstance(e, ProgramError)), None)
            if ours is not None:  # raised by the monitor (a duplicate URN), wrapped by the SDK on its way out
                raise ProgramError(str(ours), by_program=ours.by_program) from None
            by_program, where = _blame(exc, program_dir) if program_dir is not None else (False, _where(exc))
            origin = _chain(exc)[-1]  # what the program (or we) raised; the SDK's wrappers add where it surfaced
            context = "" if origin is exc else f"; {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            raise ProgramError(f"{type(origin).__name__}: {origin}{where}{context}", by_program=by_program) from exc
        finally:
            settings._get_rpc_manager().clear()
            # A failed program leaves futures whose exception nobody retrieves; asyncio would print each one's
            # traceback when it is collected (at any later moment, on stderr). The failure is reported once, above.
            loop.set_exception_handler(lambda _loop, _context: None)
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()
            asyncio.set_event_loop(None)
    for resource in resources:
        if not resource.custom:
            resource.outputs = (
                stack_wire if resource.type == STACK_TYPE else monitor.registered_outputs.get(resource.urn, {})
            )
    resources.extend(monitor.default_providers.values())
    return sorted(resources, key=_stable_order), outputs


def _stable_order(resource: Resource) -> tuple[int, bool, bool, str]:
    """Registration order depends on the event loop; sort parents first (fewer '$' in the URN's type chain), the
    Stack first of all, providers before what they serve, then by URN, so the same program always yields the same
    graph file."""
    type_chain = resource.urn.split("::")[2] if resource.urn.count("::") >= 3 else ""
    return (
        type_chain.count("$"),
        resource.type != STACK_TYPE,
        not resource.type.startswith(PROVIDER_PREFIX),
        resource.urn,
    )


def synthesize(project: Project, stack: str, config: dict[str, Any]) -> Graph:
    """Run `project`'s program for `stack` with `config` (the merged stack config; values as written or as wire
    strings) and return its resource graph."""
    wire = engine_config(config)
    program_dir = str(project.program.parent)
    sys.path.insert(0, program_dir)  # as the language host does, for the program's own modules
    auto_named: list[str] = []
    try:
        resources, outputs = _record(
            project.name,
            stack,
            wire.values,
            lambda: runpy.run_path(str(project.program), run_name="__main__"),
            auto_named,
            project.program.parent.resolve(),
        )
    finally:
        sys.path.remove(program_dir)
    notes = wire.notes()
    if auto_named:
        notes.append(auto_named_note(auto_named))
    return Graph(
        project=project.name,
        stack=stack,
        config=dict(wire.values),
        resources=resources,
        outputs=outputs,
        secret_keys=wire.secure,
        notes=notes,
    )


def auto_named_note(urns: list[str]) -> str:
    """The note naming resources whose `name` the provider's Check would fill in (some of them, then a count)."""
    names = name_some(urns)
    return (
        f"`name` is unknown on {names}: the provider's Check auto-names it at preview (the resource name plus a "
        "random suffix), which the offline path cannot compute"
    )


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
