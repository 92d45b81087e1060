"""The rule model and its adapter onto pulumi_policy's resource and stack validation policies.

A rule sees plain data (`ResourceView`): the SDK's unknown-checking proxies are unwrapped once, and a value unknown at
preview stays the wire sentinel, which `get()` turns into `Unknown`. The adapter then applies the rule's `on_unknown`
(fail closed, or the SDK's advisory note) and the resource's exemption tags, in one place for every rule.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi.runtime
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError
from pulumi_policy.secret import Secret

from crosscloud.catalog import Catalog, ResidencySet, load_catalog
from crosscloud.policies.rules.normalize import OnDemand, TypeInfo, classify, generic_info, needs_inputs
from crosscloud.policies.rules.wire import UNKNOWN_SENTINELS as UNKNOWN_SENTINELS
from crosscloud.policies.rules.wire import is_unknown as is_unknown

RESIDENCY_CONFIG_KEY = "crosscloud:residency"
# Exemptions: tag `crosscloud:exempt:<rule-id>` = `<yyyy-mm-dd>:<reason>` (valid through that date, UTC). The value
# uses only characters both clouds accept in tag values (AWS: letters, digits, spaces and _ . : / = + - @).
EXEMPT_TAG_PREFIX = "crosscloud:exempt:"
EXEMPT_VALUE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2}):(?P<reason>.*)$")
MIN_REASON_CHARS = 10
# The longest an exemption may run (days from today): one past it exempts nothing, in every pack.
MAX_EXEMPTION_DAYS = 366


class Unknown(Exception):  # noqa: N818 - it is a value state, not an error of the rule
    """A value a rule needs is unknown at preview (computed by a provider)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """The SDK's proxies and secrets unwrapped into dicts, lists and scalars (unknowns stay sentinels)."""
    if type(value) in _SCALARS:  # most values: skip the ABC checks below
        return value
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        target = value["__target"] if type(value).__name__ == "_DictProxy" else value
        return {str(k): plain(v) for k, v in target.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        target = value["__target"] if type(value).__name__ == "_ListProxy" else value  # type: ignore[call-overload]
        return [plain(v) for v in target]
    return value


class PlainOnDemand(OnDemand):
    """`plain(source)`, converted on first use (see OnDemand): the SDK's proxies unwrapped only for the resources a
    rule reads."""

    __slots__ = ()

    def __init__(self, source: Any) -> None:
        super().__init__(source, plain)


def get(data: Any, path: str, default: Any = None) -> Any:
    """`data["a"]["b"][0]` for path "a.b.0"; `Unknown` if a value on the way is unknown, `default` if absent."""
    current = data
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if is_unknown(current):
            raise Unknown(".".join(walked[:-1]) or path)
        if isinstance(current, Mapping):
            if part not in current:
                return default
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return default
            current = current[index]
        else:
            return default
    if is_unknown(current):
        raise Unknown(path)
    return current


def known_str(data: Any, path: str) -> str | None:
    value = get(data, path)
    return str(value) if value not in (None, "") else None


def json_value(value: Any, path: str) -> Any:
    """A JSON document given as a string (IAM policies, container definitions) parsed; dicts pass through."""
    if is_unknown(value):
        raise Unknown(path)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


@dataclass(frozen=True)
class ResourceView:
    """What a rule sees of one resource, through the one normalisation (`normalize.py`): the canonical type token,
    the inputs in that type's shape (wire names), its provider's inputs, and identity. `token` is the type token as
    registered when it differs (a versioned, parameterized, generic, classic or aws-native one)."""

    type: str
    props: Mapping[str, Any]
    provider_type: str | None = None
    provider_props: Mapping[str, Any] | None = None
    urn: str = ""
    name: str = ""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    token: str = ""
    provider_urn: str = ""
    mapped: bool = True

    @property
    def tags(self) -> Mapping[str, Any]:
        """The resource's tags as a map (aws-native sends them as [{key, value}])."""
        tags = self.props.get("tags")
        if isinstance(tags, list):
            return {str(t["key"]): t.get("value") for t in tags if isinstance(t, Mapping) and "key" in t}
        return tags if isinstance(tags, Mapping) else {}

    @property
    def info(self) -> TypeInfo:
        return classify(self.type)

    @property
    def cloud(self) -> str | None:
        return self.info.cloud

    @property
    def registered(self) -> str:
        """The type token the program registered."""
        return self.token or self.type


@dataclass(frozen=True)
class StackView:
    resources: tuple[ResourceView, ...]

    def by_urn(self) -> dict[str, ResourceView]:
        return self._by_urn

    @functools.cached_property
    def _by_urn(self) -> dict[str, ResourceView]:
        return {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[ResourceView]:
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [r for r in self.resources if r.type in types]

    @functools.cached_property
    def _by_type(self) -> dict[str, list[ResourceView]]:
        found: dict[str, list[ResourceView]] = {}
        for r in self.resources:
            found.setdefault(r.type, []).append(r)
        return found


@dataclass(frozen=True)
class RuleContext:
    """What a rule knows beyond the resource: the catalog, the residency set in force and the rule's config."""

    catalog: Catalog
    residency: ResidencySet | None
    residency_name: str | None
    config: Mapping[str, Any]
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())

    def stack_config(self, key: str) -> Any:
        """A stack config value as the program sees it (structured values are JSON)."""
        raw = pulumi.runtime.get_config(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (TypeError, json.JSONDecodeError):
            return raw


# A stack rule reports (resource or None for the stack, message).
Finding = tuple[ResourceView | None, str]
RuleCheck = Callable[[ResourceView, RuleContext], Iterable[str]]
StackCheck = Callable[[StackView, RuleContext], Iterable[Finding]]
OnUnknown = Literal["fail", "advisory"]


# Inputs that hold a JSON document (IAM policies, VPC endpoint policies, inline role policies): see Rule.defer_unknown.
DOCUMENT_PROPERTIES = ("policy", "inlinePolicies")


@dataclass(frozen=True)
class Rule:
    """A policy rule: stable ID, one-line violations, remediation steps, a config schema and what to do with unknowns.

    Exactly one of `check` (per resource) and `check_stack` (whole stack) is set.
    on_unknown="fail": a value unknown at preview is a violation (residency cannot be proven, so it is not assumed);
    on_unknown="advisory": the SDK's behaviour, an advisory "can't run during preview" note. Policy config
    `on_unknown` overrides it per stack.
    defer_unknown: properties (JSON documents such as IAM `policy`) that may embed values a provider creates with
    another resource (a guardrail ID), so a first preview cannot know them. Only these, and only at preview, are
    left to the check CrossGuard runs again during `pulumi up`, on the known document, before the resource is
    created: the gate stays, it moves to the moment the value exists, and the rule reports nothing at preview (the
    offline engine lists such resources once, in a note). Anything else unknown follows `on_unknown`.
    """

    id: str
    description: str
    remediation: str
    check: RuleCheck | None = None
    check_stack: StackCheck | None = None
    severity: Literal["low", "medium", "high", "critical"] = "high"
    enforcement: Literal["advisory", "mandatory"] = "mandatory"
    on_unknown: OnUnknown = "fail"
    config_properties: Mapping[str, Any] | None = None
    exemptible: bool = True
    defer_unknown: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.check is None) == (self.check_stack is None):
            raise ValueError(f"rule {self.id}: set exactly one of check and check_stack")

    @property
    def scope(self) -> Literal["resource", "stack"]:
        return "resource" if self.check is not None else "stack"


def resolve_residency(catalog: Catalog, config: Mapping[str, Any]) -> tuple[str | None, ResidencySet | None]:
    """The residency set: the policy config's `residency` wins, else the stack's `crosscloud:residency`."""
    name = config.get("residency") or pulumi.runtime.get_config(RESIDENCY_CONFIG_KEY)
    if not isinstance(name, str) or name not in catalog.residency_names:
        return (name if isinstance(name, str) else None), None
    return name, catalog.residency(name)


def serve_pack(name: str, description: str, rules: Sequence[Rule]) -> None:
    """A pack's whole `__main__`: get ready, then serve `rules` as mandatory policies until the engine stops the pack
    (`PolicyPack(...)` does not return)."""
    ready_to_serve()
    PolicyPack(
        name=name,
        description=description,
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=[to_policy(rule) for rule in rules],
    )


def ready_to_serve() -> None:
    """What a pack does before it serves: the catalog is read now, while the engine is still starting the pack, not
    on its first call; then everything alive is frozen (`gc.freeze`): the modules and the catalog live as long as the
    pack, and pulumi_policy allocates heavily (each stack policy deserializes every resource again), so every full
    collection walked them for nothing. Measured at 10,000 resources: AnalyzeStack 12.8 to 13.7 s instead of 15.4 to
    16.1 s."""
    load_catalog()
    gc.freeze()


def context_for(config: Mapping[str, Any] | None) -> RuleContext:
    catalog = load_catalog()
    cfg = dict(config or {})
    name, residency = resolve_residency(catalog, cfg)
    return RuleContext(catalog=catalog, residency=residency, residency_name=name, config=cfg)


def no_residency(ctx: RuleContext) -> str:
    given = f"{ctx.residency_name!r} is not a residency set" if ctx.residency_name else "no residency set is configured"
    return (
        f"{given}, so no region can be allowed; set crosscloud:residency or the policy config 'residency' to one "
        f"of: {', '.join(ctx.catalog.residency_names)}"
    )


def allowed(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "none"


# -- exemptions ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemption:
    rule_id: str
    expires: dt.date | None
    reason: str
    problem: str | None  # None: well-formed and in force

    @property
    def in_force(self) -> bool:
        return self.problem is None


def parse_exemption(key: str, value: Any, today: dt.date) -> Exemption:
    rule_id = key.removeprefix(EXEMPT_TAG_PREFIX)
    expected = f"expected '{key}' = '<yyyy-mm-dd>:<reason of {MIN_REASON_CHARS}+ characters>'"
    if is_unknown(value):
        return Exemption(rule_id, None, "", f"exemption tag {key} is unknown at preview; {expected}")
    match = EXEMPT_VALUE.match(str(value))
    if not rule_id or match is None:
        return Exemption(rule_id, None, "", f"malformed exemption tag {key}={value!r}; {expected}")
    try:
        expires = dt.date.fromisoformat(match["date"])
    except ValueError:
        return Exemption(rule_id, None, "", f"exemption tag {key} has an invalid date {match['date']!r}; {expected}")
    reason = match["reason"].strip()
    if len(reason) < MIN_REASON_CHARS:
        return Exemption(rule_id, expires, reason, f"exemption tag {key} gives no reason; {expected}")
    if expires < today:
        return Exemption(
            rule_id, expires, reason, f"exemption {key} expired on {expires.isoformat()}; renew it or fix the resource"
        )
    if (expires - today).days > MAX_EXEMPTION_DAYS:
        return Exemption(
            rule_id,
            expires,
            reason,
            f"exemption {key} runs to {expires.isoformat()}, more than {MAX_EXEMPTION_DAYS} days, so it exempts "
            "nothing; allowed: a nearer expiry",
        )
    return Exemption(rule_id, expires, reason, None)


def exemptions_of(view: ResourceView, today: dt.date) -> list[Exemption]:
    return [
        parse_exemption(str(key), value, today)
        for key, value in view.tags.items()
        if str(key).startswith(EXEMPT_TAG_PREFIX)
    ]


def exempted(view: ResourceView | None, rule: Rule, today: dt.date) -> bool:
    if view is None or not rule.exemptible:
        return False
    return any(e.rule_id == rule.id and e.in_force for e in exemptions_of(view, today))


# -- adapter onto pulumi_policy -----------------------------------------------------------------------------------

_SEVERITY = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}
_ENFORCEMENT = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}
COMMON_CONFIG = {
    "on_unknown": {
        "type": "string",
        "enum": ["fail", "advisory"],
        "description": "fail: a value unknown at preview is a violation; advisory: the SDK's advisory note",
    }
}


def view_of(resource: ResourceValidationArgs | PolicyResource) -> ResourceView:
    """What a rule sees of a resource policy's arguments or of one resource a stack policy is handed (the two share
    their fields; only the latter has property dependencies), normalised once: the token is classified (cached per
    token) and inputs in another shape are translated only when a rule reads them."""
    provider = resource.provider
    deps = getattr(resource, "property_dependencies", None) or {}
    raw: Mapping[str, Any] = PlainOnDemand(resource.props)
    info = classify(resource.resource_type)
    if needs_inputs(info):
        info = generic_info(raw)
    props: Mapping[str, Any] = OnDemand(raw, info.mapper) if info.mapper is not None else raw
    keys = info.dependency_keys
    provider_info = classify(provider.resource_type) if provider else None
    return ResourceView(
        type=info.type,
        props=props,
        provider_type=provider_info.type if provider_info else None,
        provider_props=PlainOnDemand(provider.props) if provider else None,
        urn=resource.urn,
        name=resource.name,
        property_dependencies={keys.get(k, k): tuple(d.urn for d in v) for k, v in deps.items()},
        token=resource.resource_type if info.type != resource.resource_type else "",
        provider_urn=provider.urn if provider else "",
        mapped=info.mapped,
    )


def unknown_message(rule: Rule, path: str) -> str:
    return f"cannot be verified at preview: {path} is unknown; {rule.id} fails closed on unknown values"


def _on_unknown(rule: Rule, ctx: RuleContext) -> OnUnknown:
    value = ctx.config.get("on_unknown")
    return value if value in ("fail", "advisory") else rule.on_unknown


def _deferred(defer_unknown: tuple[str, ...], path: str) -> bool:
    """An unknown in one of a rule's `defer_unknown` properties, during a preview (see Rule)."""
    root = path.split(".", 1)[0].split("[", 1)[0]
    return root in defer_unknown and os.environ.get("PULUMI_DRY_RUN", "").lower() == "true"


def evaluate(rule: Rule, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    """The rule's messages for one resource, with unknowns handled (advisory: re-raised as the SDK's error)."""
    assert rule.check is not None
    try:
        messages = list(rule.check(view, ctx))
    except Unknown as exc:
        if _deferred(rule.defer_unknown, exc.path):
            return  # checked by `pulumi up` once the value exists (see Rule.defer_unknown)
        if _on_unknown(rule, ctx) == "advisory":
            raise UnknownValueError(UNKNOWN_STRING_VALUE, exc.path.split(".")) from None
        messages = [unknown_message(rule, exc.path)]
    if messages and exempted(view, rule, ctx.today):
        return
    yield from messages


def each_resource(
    rule_id: str,
    views: Iterable[ResourceView],
    ctx: RuleContext,
    check: Callable[[ResourceView], Iterable[str]],
    defer_unknown: tuple[str, ...] = (),
) -> Iterator[Finding]:
    """Run a per-resource part of a stack rule, so one unknown value fails that resource only (or is skipped: with
    on_unknown advisory, or in a `defer_unknown` property at preview, as for resource rules)."""
    for view in views:
        try:
            for message in check(view):
                yield view, message
        except Unknown as exc:
            if _deferred(defer_unknown, exc.path):
                continue
            if ctx.config.get("on_unknown") != "advisory":
                yield view, f"cannot be verified at preview: {exc.path} is unknown; {rule_id} fails closed"


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    """Wrap a rule as a CrossGuard policy with fail-closed unknowns and exemption tags."""
    properties = {**COMMON_CONFIG, **dict(rule.config_properties or {})}
    schema = PolicyConfigSchema(properties=properties)
    common: dict[str, Any] = {
        "name": rule.id,
        "description": rule.description,
        "enforcement_level": _ENFORCEMENT[rule.enforcement],
        "config_schema": schema,
        "severity": _SEVERITY[rule.severity],
        "remediation_steps": rule.remediation,
    }
    if rule.check is not None:

        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            for message in evaluate(rule, view_of(args), context_for(args.get_config())):
                report_violation(message, None)

        return ResourceValidationPolicy(validate=validate, **common)

    def validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = context_for(args.get_config())
        stack = StackView(tuple(view_of(r) for r in args.resources))
        assert rule.check_stack is not None
        for view, message in rule.check_stack(stack, ctx):
            if not exempted(view, rule, ctx.today):
                report_violation(message, view.urn if view else None)

    return StackValidationPolicy(validate=validate_stack, **common)
