"""SARIF 2.1.0 for code-scanning UIs: mandatory = error, advisory = warning; rule metadata from the packs.

A result points at the `Pulumi.<stack>.yaml` line of the config key that caused it where the message (or else the
rule's remediation) names one (`crosscloud:aws.region`, `crosscloud:endpoints[1]`, ...); the resource URN is its
logical location.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from crosscloud.engine.violations import CheckResult
from crosscloud.reports.redaction import redact, secret_values

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/acme/crosscloud"
_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
CONFIG_KEY = re.compile(r"\b(crosscloud:[A-Za-z_][\w-]*(?:\[\d+\]|\.[A-Za-z_][\w-]*)*)")


def config_lines(stack_file: Path) -> dict[str, int]:
    """1-based line of every key path under `config:` ("crosscloud:aws.region", "crosscloud:endpoints[1].aws")."""
    try:
        root = yaml.compose(stack_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = f"{path}.{key.value}" if path else str(key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                sub = f"{path}[{i}]"
                lines[sub] = item.start_mark.line + 1
                walk(item, sub)

    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "config":
                walk(value, "")
    return lines


def config_line(lines: dict[str, int], *texts: str) -> int | None:
    """The line of the most specific known config key named in the first text that names one."""
    for text in texts:
        for match in CONFIG_KEY.finditer(text or ""):
            path = match.group(1)
            while path:
                if path in lines:
                    return lines[path]
                cut = max(path.rfind("."), path.rfind("["))
                path = path[:cut] if cut > 0 else ""
    return None


def _project_root(result: CheckResult, root: Path | None) -> Path:
    """`root`, else the project whose policies/ folder holds the packs (where the stack file is), else the cwd."""
    if root is not None:
        return root
    for pack in result.packs:
        candidate = Path(pack.path).parent.parent
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return Path.cwd()


def render_sarif(result: CheckResult, stack_file: str | None = None, root: Path | None = None) -> str:
    location_file = stack_file or f"Pulumi.{result.stack}.yaml"
    lines = config_lines(_project_root(result, root) / location_file)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    remediation: dict[str, str] = {}
    for pack in sorted(result.packs, key=lambda p: p.name):
        for meta in pack.policies.values():
            rule_id = f"{pack.name}/{meta.name}"
            index[rule_id] = len(rules)
            remediation[rule_id] = meta.remediation
            help_text = meta.remediation or meta.description
            rules.append(
                {
                    "id": rule_id,
                    "name": meta.name,
                    "shortDescription": {"text": meta.description or meta.name},
                    "fullDescription": {"text": meta.description or meta.name},
                    "help": {"text": help_text, "markdown": f"**How to fix:** {help_text}"},
                    "defaultConfiguration": {"level": _LEVEL.get(meta.enforcement_level, "warning")},
                    "properties": {
                        "tags": ["crosscloud", pack.name],
                        "severity": meta.severity,
                        "policyType": meta.policy_type,
                        "policyPack": pack.name,
                        "policyPackVersion": pack.version,
                        **(
                            {"security-severity": _SECURITY_SEVERITY[meta.severity]}
                            if meta.severity in _SECURITY_SEVERITY
                            else {}
                        ),
                    },
                }
            )
    results = []
    secrets = secret_values(result)
    for v in result.sorted_violations():
        message = redact(v.message or v.description or v.policy, secrets)
        rule_id = f"{v.policy_pack}/{v.policy}"
        physical: dict[str, Any] = {"artifactLocation": {"uri": location_file, "uriBaseId": "%SRCROOT%"}}
        line = config_line(lines, message, remediation.get(rule_id, ""))
        if line is not None:
            physical["region"] = {"startLine": line}
        entry: dict[str, Any] = {
            "ruleId": rule_id,
            "level": _LEVEL.get(v.enforcement_level, "warning"),
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": physical,
                    "logicalLocations": [
                        {"fullyQualifiedName": v.urn or f"{result.project}/{result.stack}", "kind": "resource"}
                    ],
                }
            ],
            "partialFingerprints": {"crosscloud/v1": f"{rule_id}|{v.urn}|{message}"},
            "properties": {"enforcementLevel": v.enforcement_level, "severity": v.severity},
        }
        if rule_id in index:
            entry["ruleIndex"] = index[rule_id]
        results.append(entry)
    tool = {"driver": {"name": "crosscloud", "informationUri": INFORMATION_URI, "rules": rules}}
    run = {
        "tool": tool,
        "results": results,
        "automationDetails": {"id": f"crosscloud/{result.project}/{result.stack}/"},
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
