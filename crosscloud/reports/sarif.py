"""SARIF 2.1.0 for code-scanning UIs: mandatory = error, advisory = warning; rule metadata from the packs.

A result points at the `Pulumi.<stack>.yaml` line of the config key that caused it where the message (or else the
rule's remediation) names one (`crosscloud:aws.region`, `crosscloud:endpoints[1]`, ...); the resource URN is its
logical location.

Grouped as the other reports are (crosscloud.reports.findings): one result per resource, but a message shared by
several resources is written once, in its rule's `messageStrings`, and each result refers to it by `message.id` with
the resource as its argument (the `text` each result still carries, which code-scanning UIs show, names the resource
first). The tool names its version and, where package metadata or the checkout's git remote gives one, its
repository; with neither, `informationUri` is left out rather than pointing at a placeholder.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from crosscloud.engine.violations import CheckResult, Violation
from crosscloud.reports.findings import RESOURCE, group, where

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
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


def tool_version() -> str | None:
    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version("crosscloud")
    return None


def _https(url: str) -> str | None:
    """A git remote as a browsable https URL (git@host:o/r.git and ssh://git@host/o/r.git too); credentials dropped."""
    url = url.strip()
    if match := re.fullmatch(r"(?:ssh://)?[\w.-]+@([\w.-]+)[:/](.+?)(?:\.git)?/?", url):
        return f"https://{match.group(1)}/{match.group(2)}"
    if match := re.fullmatch(r"https?://(?:[^@/]+@)?([^/]+)/(.+?)(?:\.git)?/?", url):
        return f"https://{match.group(1)}/{match.group(2)}"
    return None


@functools.cache
def repository_url(root: Path | None = None) -> str | None:
    """The project's repository: a Project-URL of the installed package (Repository, Source, Homepage), else the git
    remote `origin` of the checkout at `root`, else None."""
    with contextlib.suppress(metadata.PackageNotFoundError):
        urls = dict(
            (label.strip().lower(), link.strip())
            for label, _, link in (
                e.partition(",") for e in metadata.metadata("crosscloud").get_all("Project-URL") or []
            )
        )
        for label in ("repository", "source", "homepage"):
            if urls.get(label, "").startswith("https://"):
                return str(urls[label])
    if root is None:
        return None
    try:
        remote = subprocess.run(
            ["git", "-C", str(root), "config", "--get", "remote.origin.url"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return _https(remote.stdout) if remote.returncode == 0 else None


def render_sarif(result: CheckResult, stack_file: str | None = None, root: Path | None = None) -> str:
    result = result.redacted()
    location_file = stack_file or f"Pulumi.{result.stack}.yaml"
    project_root = _project_root(result, root)
    lines = config_lines(project_root / location_file)
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
    message_strings: dict[str, dict[str, dict[str, str]]] = {}  # rule -> message id -> {"text": ...}
    for finding in group(result.sorted_violations()):
        rule_id = f"{finding.policy_pack}/{finding.policy}"
        shared = message_strings.setdefault(rule_id, {})
        message_id = f"m{len(shared)}"
        literal = finding.message.replace("{", "{{").replace("}", "}}")  # SARIF placeholders are {0}, {1}, ...
        shared[message_id] = {"text": "{0}: " + literal.replace(RESOURCE, "{0}")}
        for v in finding.violations:
            results.append(
                _result(v, finding.text_for(v), rule_id, message_id, result, location_file, lines, remediation, index)
            )
    for rule in rules:
        if rule["id"] in message_strings:
            rule["messageStrings"] = message_strings[rule["id"]]
    driver: dict[str, Any] = {"name": "crosscloud", "rules": rules}
    version = tool_version()
    if version:
        driver.update(version=version, semanticVersion=version)
    url = repository_url(project_root)
    if url:
        driver["informationUri"] = url
    run = {
        "tool": {"driver": driver},
        "results": results,
        "automationDetails": {"id": f"crosscloud/{result.project}/{result.stack}/"},
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _result(
    v: Violation,
    message: str,
    rule_id: str,
    message_id: str,
    result: CheckResult,
    location_file: str,
    lines: dict[str, int],
    remediation: dict[str, str],
    index: dict[str, int],
) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": location_file, "uriBaseId": "%SRCROOT%"}}
    line = config_line(lines, message, remediation.get(rule_id, ""))
    if line is not None:
        physical["region"] = {"startLine": line}
    entry: dict[str, Any] = {
        "ruleId": rule_id,
        "level": _LEVEL.get(v.enforcement_level, "warning"),
        "message": {"text": f"{where(v.urn)}: {message}", "id": message_id, "arguments": [where(v.urn)]},
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
    return entry
