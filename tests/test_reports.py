"""Reports: the Markdown PR comment (escaping, grouping, remediation, the 65,536-character limit) and SARIF 2.1.0
(valid against the official schema, rule metadata from the packs, locations at the stack-file key)."""

from __future__ import annotations

import json
import re
import subprocess
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


def outside_code(text: str) -> str:
    """`text` without its code spans (GitHub links, mentions and renders nothing inside one)."""
    return re.sub(r"`[^`]*`", "", text)


def test_escape_neutralises_html_links_and_mentions() -> None:
    hostile = "<img src=x onerror=alert(1)> [click](https://evil.example) @octocat #12 **bold** `code` | pipe www.x.io"
    text = escape(hostile)
    assert "<" not in text and ">" not in text
    assert "&lt;img" in text
    plain = outside_code(text)
    for token in ("https://", "www.", "@", "#", "[click]"):
        assert token not in plain, token
    assert "`@octocat`" in text and "`#12`" in text and "`[click](https://evil.example)`" in text
    assert "\\*\\*bold\\*\\*" in text and "\\`code\\`" in text and "\\|" in text
    assert "\n" not in escape("two\nlines")


def test_markdown_carries_no_invisible_characters() -> None:
    text = render_markdown(result([violation("rule-a", "a1", "mail ops@example.com, see #4 and https://x.io @team")]))
    assert not re.search("[\u200b-\u200f\u2060\ufeff]", text)
    assert "`ops@example.com,` see `#4` and `https://x.io` `@team`" in text


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
    assert "- `a1 (Bucket)`: first &lt;b&gt;bad&lt;/b&gt; `@team`" in text
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
    many = [violation("rule-a", f"r{i}", f"message {i}") for i in range(50)]
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
    assert sarif["runs"][0]["results"][0]["message"]["text"] == "fn: [secret] at env: leaves the set"
    assert "us.anthropic" not in json.dumps(sarif)


def test_sarif_finds_the_stack_file_next_to_the_packs(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  crosscloud:aws:\n    region: x\n", encoding="utf-8")
    checked = result([violation("rule-a", "a1", "bad crosscloud:aws.region")])
    checked.packs = [PackInfo("crosscloud-x", "0.2.0", str(tmp_path / "policies" / "x"), checked.packs[0].policies)]
    sarif = assert_valid_sarif(render_sarif(checked))
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}


# -- grouped findings: one entry per (rule, message shape), the resources listed under it --------------------------
def flood(count: int = 78) -> list[Violation]:
    """One missing tag on `count` buckets (the resource's own name in each message), plus two distinct findings."""
    same = [violation("rule-a", f"bucket-{i:03}", f"bucket-{i:03} lacks tag 'owner'") for i in range(count)]
    return [
        *same,
        violation("rule-a", "odd-one", "region us-east-1 is outside residency 'eu'"),
        violation("rule-c", "c1", "critical thing", pack="crosscloud-y"),
    ]


def test_text_groups_one_message_over_many_resources() -> None:
    from crosscloud.reports.text import render_violations

    text = render_violations(result(flood()))
    findings = [line for line in text.splitlines() if line.startswith("  [")]
    assert len(findings) == 3
    grouped = next(line for line in findings if "lacks tag" in line)
    assert grouped == "  [mandatory/high] crosscloud-x/rule-a: <resource> lacks tag 'owner'"
    listed = text.split(grouped, 1)[1].split("\n  [", 1)[0]
    assert "on 78 resources: bucket-000, bucket-001" in listed and "bucket-077" in listed
    assert all(len(line) <= 120 for line in text.splitlines() if "bucket-" in line)
    assert "  [mandatory/high] crosscloud-x/rule-a: odd-one: region us-east-1 is outside residency 'eu'" in findings
    assert "80 violations: 80 mandatory, 0 advisory (3 findings)." in text


def test_text_colour_only_when_asked() -> None:
    from crosscloud.reports.text import render_violations

    assert "\x1b[" not in render_violations(result(flood(2)))
    coloured = render_violations(result(flood(2)), color=True)
    assert "\x1b[31m[mandatory/high]\x1b[0m" in coloured


def test_markdown_groups_a_flood_into_one_entry() -> None:
    text = render_markdown(result(flood()))
    entries = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(entries) == 3
    assert "- **78 resources**: &lt;resource&gt; lacks tag 'owner'" in entries
    assert "<details><summary>the 78 resources</summary>" in text
    assert text.count("`bucket-0") == 78
    assert "#### `rule-a` · high · 79" in text


def test_markdown_at_500_findings_stays_readable_and_under_the_limit() -> None:
    # 500 findings: a flood of 400 identical ones, and 100 distinct messages of realistic length.
    distinct = [
        violation(
            "rule-b",
            f"fn-{i}",
            f"eu.anthropic.model-{i} at environment.variables.MODEL_ID routes outside 'eu'; "
            "allowed: " + ", ".join(f"eu-region-{j}" for j in range(8)),
            level="advisory",
        )
        for i in range(100)
    ]
    text = render_markdown(result([*flood(400)[:400], *distinct]))
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert "**Truncated:**" not in text
    assert "- **400 resources**: " in text and text.count("`fn-") == 100
    assert "| crosscloud-x | 0.2.0 | 2 | 400 | 100 |" in text


def test_markdown_caps_the_names_listed_for_one_finding() -> None:
    text = render_markdown(result(flood(5_000)))
    assert len(text) < GITHUB_COMMENT_LIMIT and "**Truncated:**" not in text
    assert "and 4800 more (every one is in the JSON and SARIF reports)" in text


def test_sarif_keeps_a_result_per_resource_and_the_message_once(tmp_path: Path) -> None:
    sarif = assert_valid_sarif(render_sarif(result(flood(5)), root=tmp_path))
    [run] = sarif["runs"]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "crosscloud-x/rule-a")
    assert rule["messageStrings"] == {
        "m0": {"text": "{0}: {0} lacks tag 'owner'"},
        "m1": {"text": "{0}: region us-east-1 is outside residency 'eu'"},
    }
    grouped = [r for r in run["results"] if r["message"]["id"] == "m0" and r["ruleId"] == "crosscloud-x/rule-a"]
    assert [r["message"]["arguments"] for r in grouped] == [[f"bucket-{i:03}"] for i in range(5)]
    assert grouped[0]["message"]["text"] == "bucket-000: bucket-000 lacks tag 'owner'"


def test_sarif_braces_in_a_message_are_literal(tmp_path: Path) -> None:
    sarif = assert_valid_sarif(
        render_sarif(result([violation("rule-a", "a1", 'policy {"Effect": 1} wrong')]), root=tmp_path)
    )
    rule = sarif["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["messageStrings"]["m0"]["text"] == '{0}: policy {{"Effect": 1}} wrong'


def test_sarif_names_the_tool_version_and_no_placeholder_repository(tmp_path: Path) -> None:
    from importlib import metadata

    from crosscloud.reports import sarif as sarif_module

    driver = assert_valid_sarif(render_sarif(result([]), root=tmp_path))["runs"][0]["tool"]["driver"]
    assert driver["version"] == metadata.version("crosscloud") == driver["semanticVersion"]
    assert "acme" not in json.dumps(driver) and "example" not in driver.get("informationUri", "")
    # with a git remote, the repository it names (credentials and .git dropped)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "https://token@github.com/platform/crosscloud.git"],
        check=True,
    )
    sarif_module.repository_url.cache_clear()
    driver = assert_valid_sarif(render_sarif(result([]), root=tmp_path))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/platform/crosscloud"
    assert sarif_module._https("git@github.com:platform/crosscloud.git") == "https://github.com/platform/crosscloud"
