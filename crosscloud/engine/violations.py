"""What the packs reported, in one shape for every report format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    enforcement_level: str
    severity: str
    remediation: str
    policy_type: str


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    path: str
    policies: dict[str, PolicyMeta]


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


@dataclass
class CheckResult:
    """The outcome of running every pack over one graph."""

    project: str
    stack: str
    resources: int
    packs: list[PackInfo]
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement_level in ("mandatory", "remediate")]

    def summary(self) -> dict[str, Any]:
        levels = Counter(v.enforcement_level for v in self.violations)
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": self.resources,
            "policyPacks": [{"name": p.name, "version": p.version, "policies": len(p.policies)} for p in self.packs],
            "violations": len(self.violations),
            "mandatory": len(self.mandatory),
            "advisory": levels.get("advisory", 0),
            "byPolicy": dict(sorted(Counter(v.policy for v in self.violations).items())),
        }

    def sorted_violations(self) -> list[Violation]:
        rank = {"mandatory": 0, "remediate": 0, "advisory": 1}
        sev = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}
        return sorted(
            self.violations,
            key=lambda v: (rank.get(v.enforcement_level, 2), sev.get(v.severity, 4), v.policy_pack, v.policy, v.urn),
        )
