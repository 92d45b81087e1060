"""The rule model and its adapter onto pulumi_policy's ResourceValidationPolicy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi.runtime
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)
from pulumi_policy.proxy import UnknownValueError

from crosscloud.catalog import Catalog, ResidencySet, load_catalog

RESIDENCY_CONFIG_KEY = "crosscloud:residency"


@dataclass(frozen=True)
class ResourceView:
    """What a rule sees of one resource: its type token, inputs (wire names) and its provider's inputs."""

    type: str
    props: Mapping[str, Any]
    provider_type: str | None = None
    provider_props: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RuleContext:
    """What a rule knows beyond the resource: the catalog, the residency set in force and the rule's config."""

    catalog: Catalog
    residency: ResidencySet | None
    residency_name: str | None
    config: Mapping[str, Any]


RuleCheck = Callable[[ResourceView, RuleContext], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """A policy rule: stable ID, one-line violations from `check`, remediation steps, and what to do with unknowns.

    on_unknown="fail": a value unknown at preview is a violation (residency cannot be proven, so it is not assumed);
    on_unknown="advisory": the SDK's behaviour, an advisory "can't run during preview" note.
    """

    id: str
    description: str
    check: RuleCheck
    remediation: str
    severity: Literal["low", "medium", "high", "critical"] = "high"
    enforcement: Literal["advisory", "mandatory"] = "mandatory"
    on_unknown: Literal["fail", "advisory"] = "fail"
    config_properties: Mapping[str, Any] | None = None


def resolve_residency(catalog: Catalog, config: Mapping[str, Any]) -> tuple[str | None, ResidencySet | None]:
    """The residency set: the policy config's `residency` wins, else the stack's `crosscloud:residency`."""
    name = config.get("residency") or pulumi.runtime.get_config(RESIDENCY_CONFIG_KEY)
    if not isinstance(name, str) or name not in catalog.residency_names:
        return (name if isinstance(name, str) else None), None
    return name, catalog.residency(name)


def context_for(config: Mapping[str, Any] | None) -> RuleContext:
    catalog = load_catalog()
    cfg = dict(config or {})
    name, residency = resolve_residency(catalog, cfg)
    return RuleContext(catalog=catalog, residency=residency, residency_name=name, config=cfg)


_SEVERITY = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}
_ENFORCEMENT = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}


def to_policy(rule: Rule) -> ResourceValidationPolicy:
    """Wrap a rule as a CrossGuard resource policy, with fail-closed handling of unknown values."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        provider = args.provider
        view = ResourceView(
            type=args.resource_type,
            props=args.props,
            provider_type=provider.resource_type if provider else None,
            provider_props=provider.props if provider else None,
        )
        try:
            for message in rule.check(view, context_for(args.get_config())):
                report_violation(message, None)
        except UnknownValueError as exc:
            if rule.on_unknown == "advisory":
                raise
            report_violation(
                f"cannot be verified at preview: {exc.message}; {rule.id} fails closed on unknown values", None
            )

    schema = PolicyConfigSchema(properties=dict(rule.config_properties)) if rule.config_properties else None
    return ResourceValidationPolicy(
        name=rule.id,
        description=rule.description,
        validate=validate,
        enforcement_level=_ENFORCEMENT[rule.enforcement],
        config_schema=schema,
        severity=_SEVERITY[rule.severity],
        remediation_steps=rule.remediation,
    )
