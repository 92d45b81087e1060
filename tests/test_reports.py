"""Reports: the Markdown PR comment (escaping, grouping, remediation, the 65,536-character limit) and SARIF 2.1.0
(valid against the official schema, rule metadata from the packs, locations at the stack-file key)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from crosscloud.engine.violations import CheckResult, PackInfo, PolicyMeta, Violation
from crosscloud.reports.markdown import GITHUB_COMMENT_LIMIT, escape, render_markdown
from crosscloud.reports.sarif import config_line, config_lines, render_sarif
from tests.conftest import FIXTURES

SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
URN = "urn:pulumi:prod::crosscloud::aws:s3/bucket:Bucket::{}"


def assert_valid_sarif(text: str) -> dict[str, Any]:
    document = json.loads(text)
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    return document


def meta(name: str, level: str = "mandatory", severity: str = "high") -> PolicyMeta:
    return PolicyMeta(name, f"{name} description", level, severity, f"fix {name} via crosscloud:aws.region", "resource")


def violation(policy: str, name: str, message: str, level: str = "mandatory", pack: str = "crosscloud-x") -> Violation:
    return Violation(pack, "0.2.0", policy, level, "high", URN.format(name), message, f"{policy} description")


def result(violations: list[Violation]) -> CheckResult:
    packs = [
        PackInfo("crosscloud-x", "0.2.0", "/p/x", {"rule-a": meta("rule-a"), "rule-b": meta("rule-b", "advisory")}),
        PackInfo("crosscloud-y", "0.2.0", "/p/y", {"rule-c": meta("rule-c", severity="critical")}),
    ]
    return CheckResult(project="crosscloud", stack="prod", resources=42, packs=packs, violations=violations)


def test_escape_neutralises_html_links_and_mentions() -> None:
    hostile = "<img src=x onerror=alert(1)> [click](https://evil.example) @octocat #12 **bold** `code` | pipe www.x.io"
    text = escape(hostile)
    assert "<" not in text and ">" not in text
    assert "&lt;img" in text
    assert "\\[click\\]" in text and "https://" not in text and "www." not in text
    assert "@octocat" not in text and "@\u200boctocat" in text
    assert "#12" not in text
    assert "\\*\\*bold\\*\\*" in text and "\\`code\\`" in text and "\\|" in text
    assert "\n" not in escape("two\nlines")


def test_markdown_groups_by_pack_and_level_with_remediation() -> None:
    text = render_markdown(
        result(
            [
                violation("rule-b", "b1", "advisory thing", level="advisory"),
                violation("rule-a", "a1", "first <b>bad</b> @team"),
                violation("rule-a", "a2", "second"),
                violation("rule-c", "c1", "critical thing", pack="crosscloud-y"),
            ]
        )
    )
    assert text.startswith("## crosscloud policy check: `crosscloud/prod` ❌ blocked")
    assert "| crosscloud-x | 0.2.0 | 2 | 2 | 1 |" in text
    assert "| crosscloud-y | 0.2.0 | 1 | 1 | 0 |" in text
    assert "| **total** | | 3 | 3 | 1 |" in text
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert sections == [
        "### crosscloud-x: mandatory (blocks the change) (2)",
        "### crosscloud-y: mandatory (blocks the change) (1)",
        "### crosscloud-x: advisory (1)",
    ]
    assert "#### `rule-a` · high · 2" in text
    assert "- `a1 (Bucket)`: first &lt;b&gt;bad&lt;/b&gt; @\u200bteam" in text
    assert text.count("**How to fix:** fix rule-a via crosscloud:aws.region") == 1


def test_markdown_clean_result() -> None:
    text = render_markdown(result([]))
    assert "✅ compliant" in text and "No policy violations." in text


@pytest.mark.parametrize("count", [2_000, 20_000])
def test_markdown_stays_under_the_comment_limit(count: int) -> None:
    many = [violation(f"rule-{'ab'[i % 2]}", f"r{i}", "x" * 200 + f" {i}") for i in range(count)]
    text = render_markdown(result(many))
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert "**Truncated:**" in text
    shown = sum(1 for line in text.splitlines() if line.startswith("- `r"))
    assert f"{count - shown} more violation(s) are not shown" in text
    assert text.rstrip().endswith("all of them.")


def test_markdown_limit_is_respected_for_small_limits() -> None:
    many = [violation("rule-a", f"r{i}", "message") for i in range(50)]
    text = render_markdown(result(many), limit=1_500)
    assert len(text) < 1_500 and "**Truncated:**" in text


def test_sarif_is_valid_and_carries_pack_metadata(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  crosscloud:residency: eu\n  crosscloud:aws:\n    region: us-east-1\n", encoding="utf-8"
    )
    sarif = assert_valid_sarif(
        render_sarif(
            result(
                [
                    violation("rule-a", "a1", "AWS region us-east-1 is outside (crosscloud:aws.region); allowed: x"),
                    violation("rule-b", "b1", "no key named here", level="advisory"),
                    violation("rule-c", "c1", "critical", pack="crosscloud-y"),
                ]
            ),
            root=tmp_path,
        )
    )
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["crosscloud-x/rule-a", "crosscloud-x/rule-b", "crosscloud-y/rule-c"]
    assert rules[0]["help"]["text"] == "fix rule-a via crosscloud:aws.region"
    assert rules[2]["properties"]["security-severity"] == "9.5"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["crosscloud-x/rule-a"]["level"] == "error"
    assert by_rule["crosscloud-x/rule-b"]["level"] == "warning"
    location = by_rule["crosscloud-x/rule-a"]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.prod.yaml"
    assert location["physicalLocation"]["region"] == {"startLine": 4}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == URN.format("a1")
    # no key in the message: the rule's remediation names one
    assert by_rule["crosscloud-x/rule-b"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}
    assert rules[by_rule["crosscloud-y/rule-c"]["ruleIndex"]]["id"] == "crosscloud-y/rule-c"


def test_sarif_without_stack_file_is_still_valid(tmp_path: Path) -> None:
    sarif = assert_valid_sarif(render_sarif(result([violation("rule-a", "a1", "m")]), root=tmp_path))
    assert "region" not in sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]


def test_config_lines_follow_lists(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(
        "config:\n  crosscloud:endpoints:\n    - name: a\n      aws: {model: m}\n    - name: b\n", encoding="utf-8"
    )
    lines = config_lines(path)
    assert lines["crosscloud:endpoints[1]"] == 5
    assert config_line(lines, "endpoint 'b' (crosscloud:endpoints[1]): wrong") == 5
    assert config_line(lines, "see crosscloud:endpoints[0].aws.model") == 4
    assert config_line(lines, "nothing here") is None


def test_secret_values_are_redacted_in_markdown_and_sarif(tmp_path: Path) -> None:
    from crosscloud.engine.graph import SECRET_SIG, SECRET_SIG_KEY, Graph, Resource

    secret = {SECRET_SIG_KEY: SECRET_SIG, "value": "us.anthropic.model-v1:0"}
    fn = Resource(URN.format("fn"), "aws:lambda/function:Function", "fn", None, None, True, {"env": secret})
    checked = result([violation("rule-a", "fn", "us.anthropic.model-v1:0 at env: leaves the set")])
    checked.graph = Graph("crosscloud", "prod", {}, [fn])
    text = render_markdown(checked)
    assert "us.anthropic" not in text and "\\[secret\\] at env" in text
    sarif = assert_valid_sarif(render_sarif(checked, root=tmp_path))
    assert sarif["runs"][0]["results"][0]["message"]["text"] == "[secret] at env: leaves the set"
    assert "us.anthropic" not in json.dumps(sarif)


def test_sarif_finds_the_stack_file_next_to_the_packs(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  crosscloud:aws:\n    region: x\n", encoding="utf-8")
    checked = result([violation("rule-a", "a1", "bad crosscloud:aws.region")])
    checked.packs = [PackInfo("crosscloud-x", "0.2.0", str(tmp_path / "policies" / "x"), checked.packs[0].policies)]
    sarif = assert_valid_sarif(render_sarif(checked))
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
