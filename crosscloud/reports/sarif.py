"""SARIF 2.1.0 for code-scanning UIs: mandatory = error, advisory = warning; rule metadata from the packs."""

from __future__ import annotations

import json
from typing import Any

from crosscloud.engine.violations import CheckResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning"}


def render_sarif(result: CheckResult, stack_file: str | None = None) -> str:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for pack in result.packs:
        for meta in pack.policies.values():
            rule_id = f"{pack.name}/{meta.name}"
            index[rule_id] = len(rules)
            rules.append(
                {
                    "id": rule_id,
                    "name": meta.name,
                    "shortDescription": {"text": meta.description},
                    "help": {"text": meta.remediation or meta.description},
                    "defaultConfiguration": {"level": _LEVEL.get(meta.enforcement_level, "warning")},
                    "properties": {"severity": meta.severity, "policyType": meta.policy_type},
                }
            )
    location_file = stack_file or f"Pulumi.{result.stack}.yaml"
    results = []
    for v in result.sorted_violations():
        rule_id = f"{v.policy_pack}/{v.policy}"
        entry: dict[str, Any] = {
            "ruleId": rule_id,
            "level": _LEVEL.get(v.enforcement_level, "warning"),
            "message": {"text": v.message},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": location_file}},
                    "logicalLocations": [
                        {"fullyQualifiedName": v.urn or f"{result.project}/{result.stack}", "kind": "resource"}
                    ],
                }
            ],
        }
        if rule_id in index:
            entry["ruleIndex"] = index[rule_id]
        results.append(entry)
    tool = {"driver": {"name": "crosscloud", "rules": rules}}
    return (
        json.dumps(
            {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": tool, "results": results}]}, indent=2
        )
        + "\n"
    )
