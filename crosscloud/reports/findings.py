"""Violations grouped for a reader: one finding per (pack, policy, level, message shape) with the resources it names.

One missing tag on 78 resources is one finding listing 78 resources, not 78 copies of a sentence. A message's shape
is its text with the resource's own name replaced by RESOURCE, so "bucket-a lacks tag owner" and "bucket-b lacks tag
owner" group, while messages that differ in anything else (another Region, another value) stay apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crosscloud.engine.graph import STACK_TYPE
from crosscloud.engine.violations import Violation

RESOURCE = "<resource>"
_MIN_NAME = 3  # shorter names ("a", "x1") would replace ordinary words


@dataclass(frozen=True)
class Finding:
    policy_pack: str
    policy_pack_version: str
    policy: str
    enforcement_level: str
    severity: str
    message: str  # the shape: RESOURCE where a resource's own name stood
    description: str
    violations: tuple[Violation, ...]

    @property
    def urns(self) -> list[str]:
        return [v.urn for v in self.violations]

    def text_for(self, violation: Violation) -> str:
        """The message as the pack wrote it for one of the resources."""
        return violation.message or self.message


def resource_name(urn: str) -> str:
    return urn.split("::")[-1] if urn else ""


def where(urn: str) -> str:
    """A resource as a reader names it: its name; the Stack as "(stack <name>)"; no URN as "(stack)"."""
    if not urn:
        return "(stack)"
    if urn.split("::")[2:3] == [STACK_TYPE]:
        return f"(stack {resource_name(urn)})"
    return resource_name(urn)


def shape(violation: Violation) -> str:
    message = violation.message or violation.description or violation.policy
    name = resource_name(violation.urn)
    if len(name) < _MIN_NAME:
        return message
    return re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", RESOURCE, message)


def group(violations: list[Violation]) -> list[Finding]:
    """Findings in the order of their first violation (callers pass sorted_violations()); inside a finding the
    violations keep that order."""
    groups: dict[tuple[str, str, str, str, str], list[Violation]] = {}
    for v in violations:
        groups.setdefault((v.policy_pack, v.policy, v.enforcement_level, v.severity, shape(v)), []).append(v)
    return [
        Finding(
            policy_pack=pack,
            policy_pack_version=items[0].policy_pack_version,
            policy=policy,
            enforcement_level=level,
            severity=severity,
            message=message,
            description=items[0].description,
            violations=tuple(items),
        )
        for (pack, policy, level, severity, message), items in groups.items()
    ]
