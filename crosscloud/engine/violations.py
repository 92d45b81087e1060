"""What the packs reported, in one shape for every report format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from crosscloud.engine.graph import SECRET_SIG, SECRET_SIG_KEY, Graph
from crosscloud.engine.redaction import Redactor


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    enforcement_level: str  # the level in effect: the pack's, after policy config
    severity: str
    remediation: str
    policy_type: str
    config_schema: dict[str, Any] | None = None  # {"properties": {...}, "required": [...]} as the pack declared it


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    path: str
    policies: dict[str, PolicyMeta]
    supports_config: bool = False
    initial_config: dict[str, Any] = field(default_factory=dict)  # policy -> PolicyConfig, as the pack sent it
    config_file: str | None = None  # the policy config file paired with this pack, if any
    reported_version: str = ""  # what the pack itself reported (pulumi_policy: always 0.0.1), if not `version`


@dataclass(frozen=True)
class Violation:
    policy_pack: str
    policy_pack_version: str
    policy: str
    enforcement_level: str  # advisory | mandatory | remediate
    severity: str  # low | medium | high | critical | "" (unspecified)
    urn: str
    message: str
    description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "policyPack": self.policy_pack,
            "policyPackVersion": self.policy_pack_version,
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level,
            "severity": self.severity,
            "urn": self.urn,
            "message": self.message,
            "description": self.description,
        }


def redact(value: Any) -> Any:
    """A wire value with every secret replaced by "[secret]", for reports."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return "[secret]"
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass(frozen=True)
class Remediation:
    """A policy rewrote a resource's inputs before Analyze, as `pulumi preview` reports with a property diff."""

    policy_pack: str
    policy_pack_version: str
    policy: str
    urn: str
    description: str
    before: dict[str, Any]  # the changed properties only, wire form
    after: dict[str, Any]

    @property
    def changed(self) -> list[str]:
        return sorted(set(self.before) | set(self.after))

    def to_json(self) -> dict[str, Any]:
        return {
            "policyPack": self.policy_pack,
            "policyPackVersion": self.policy_pack_version,
            "policy": self.policy,
            "urn": self.urn,
            "description": self.description,
            "changed": self.changed,
            "before": redact(self.before),
            "after": redact(self.after),
        }


@dataclass
class CheckResult:
    """The outcome of running every pack over one graph."""

    project: str
    stack: str
    resources: int
    packs: list[PackInfo]
    violations: list[Violation] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the offline run could not know or apply
    graph: Graph | None = None  # the graph the packs analysed: inputs after remediation
    seconds: float = 0.0
    # Fed with the secrets of the graph as the packs received it (a remediation may drop a secret's marker).
    redactor: Redactor | None = None
    is_redacted: bool = False

    def redacted(self) -> CheckResult:
        """This result with every secret and every run of key material redacted from what a report shows (messages,
        descriptions, remediated values, notes): the one step every rendering starts with."""
        if self.is_redacted:
            return self
        redactor = self.redactor if self.redactor is not None else Redactor.for_graph(self.graph)
        text = redactor.text
        return replace(
            self,
            violations=[replace(v, message=text(v.message), description=text(v.description)) for v in self.violations],
            remediations=[
                replace(
                    r,
                    description=text(r.description),
                    before=redactor.value(r.before),
                    after=redactor.value(r.after),
                )
                for r in self.remediations
            ],
            notes=[text(n) for n in self.notes],
            redactor=redactor,
            is_redacted=True,
        )

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement_level == "mandatory"]

    def summary(self) -> dict[str, Any]:
        levels = Counter(v.enforcement_level for v in self.violations)
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": self.resources,
            "policyPacks": [
                {"name": p.name, "version": p.version, "policies": len(p.policies), "policyConfig": p.config_file}
                for p in self.packs
            ],
            "violations": len(self.violations),
            "mandatory": len(self.mandatory),
            "advisory": levels.get("advisory", 0),
            "remediations": len(self.remediations),
            "byPolicy": dict(sorted(Counter(v.policy for v in self.violations).items())),
        }

    def sorted_violations(self) -> list[Violation]:
        rank = {"mandatory": 0, "remediate": 0, "advisory": 1}
        sev = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}
        return sorted(
            self.violations,
            key=lambda v: (rank.get(v.enforcement_level, 2), sev.get(v.severity, 4), v.policy_pack, v.policy, v.urn),
        )
