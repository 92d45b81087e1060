"""A pull-request comment: a summary table, then violations grouped by pack and severity, under GitHub's limit."""

from __future__ import annotations

from itertools import groupby

from crosscloud.engine.violations import CheckResult

GITHUB_COMMENT_LIMIT = 65_536


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: CheckResult, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    s = result.summary()
    verdict = "❌ blocked" if s["mandatory"] else ("⚠️ advisory findings" if s["violations"] else "✅ compliant")
    packs = ", ".join(f"{p.name}@{p.version}" for p in result.packs)
    head = [
        f"## crosscloud policy check: `{result.project}/{result.stack}` {verdict}",
        "",
        "| resources | policy packs | mandatory | advisory |",
        "|---:|---|---:|---:|",
        f"| {s['resources']} | {packs} | {s['mandatory']} | {s['advisory']} |",
        "",
    ]
    body: list[str] = []
    violations = result.sorted_violations()
    for (pack, level), group in groupby(violations, key=lambda v: (v.policy_pack, v.enforcement_level)):
        body += [f"### {pack}: {level}", "", "| severity | policy | resource | message |", "|---|---|---|---|"]
        for v in group:
            where = _cell(v.urn.split("::")[-1] if v.urn else "(stack)")
            body.append(f"| {v.severity or '-'} | `{v.policy}` | `{where}` | {_cell(v.message)} |")
        body.append("")
    text = "\n".join(head + body)
    if len(text) > limit:
        note = (
            f"\n\n_…truncated: {len(violations)} violations in all; "
            "run `crosscloud check --format json` for every one._\n"
        )
        text = text[: limit - len(note)].rsplit("\n", 1)[0] + note
    return text + ("" if text.endswith("\n") else "\n")
