"""A pull-request comment: a summary table, then violations grouped by pack and level, each policy with its
remediation; always under GitHub's 65,536-character comment limit.

Everything that comes from a resource or a pack (names, messages, descriptions) is escaped: no raw HTML, no
Markdown links or emphasis, no @mentions, issue references or autolinked URLs can be smuggled into the comment. A word
that would mention, reference or autolink is set in a code span (GitHub links nothing inside code), so the comment
carries no invisible character and a value copied from it is the value.

Violations are grouped (crosscloud.reports.findings): a message shared by many resources is written once, with the
resources listed under it.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from crosscloud.engine.violations import CheckResult, PolicyMeta, Violation
from crosscloud.reports.findings import group

GITHUB_COMMENT_LIMIT = 65_536
_LINKING = ("@", "#", "://", "www.")  # what GitHub turns into a mention, an issue reference or a link
_MARKDOWN_SPECIALS = "\\`*_[]{}<>|~!#+"
INLINE_RESOURCES = 10  # a finding on more resources lists them in a collapsed block
LISTED_RESOURCES = 200  # at most this many names per finding; the JSON and SARIF reports hold every one
_LEVEL_TITLE = {"mandatory": "mandatory (blocks the change)", "remediate": "remediate", "advisory": "advisory"}


def _escape_word(word: str) -> str:
    word = word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS and c not in "<>" else c for c in word)


def escape(text: str) -> str:
    """Untrusted text as inert Markdown, on one line: HTML entities and backslash-escaped punctuation; a word that
    GitHub would turn into a mention, a reference or a link goes into a code span instead."""
    words = " ".join(str(text).split()).split(" ")
    return " ".join(code(w) if any(t in w.lower() for t in _LINKING) else _escape_word(w) for w in words if w)


def code(text: str) -> str:
    """Untrusted text in a code span (rendered literally: no HTML, links or mentions inside)."""
    return "`" + " ".join(str(text).split()).replace("`", "'") + "`"


def resource_label(urn: str) -> str:
    if not urn:
        return "(stack)"
    parts = urn.split("::")
    return f"{parts[-1]} ({parts[-2].rsplit(':', 1)[-1]})" if len(parts) >= 2 else urn


def _summary(result: CheckResult) -> list[str]:
    s = result.summary()
    verdict = "❌ blocked" if s["mandatory"] else ("⚠️ advisory findings" if s["violations"] else "✅ compliant")
    per_pack = Counter((v.policy_pack, v.enforcement_level) for v in result.violations)
    lines = [
        f"## crosscloud policy check: {code(f'{result.project}/{result.stack}')} {verdict}",
        "",
        f"{s['resources']} resources checked by {len(result.packs)} policy packs: "
        f"**{s['mandatory']} mandatory**, {s['advisory']} advisory.",
        "",
        "| policy pack | version | policies | mandatory | advisory |",
        "|---|---|---:|---:|---:|",
    ]
    for pack in sorted(result.packs, key=lambda p: p.name):
        mandatory = per_pack[(pack.name, "mandatory")] + per_pack[(pack.name, "remediate")]
        lines.append(
            f"| {escape(pack.name)} | {escape(pack.version)} | {len(pack.policies)} | {mandatory} | "
            f"{per_pack[(pack.name, 'advisory')]} |"
        )
    lines.append(f"| **total** | | {sum(len(p.policies) for p in result.packs)} | {s['mandatory']} | {s['advisory']} |")
    notes = [f"> {escape(note)}" for note in result.notes]
    if notes:
        lines += ["", "> **Offline run:** what this check could not know or apply:", *notes]
    return [*lines, ""]


def _resources(violations: tuple[Violation, ...]) -> str:
    shown = ", ".join(code(resource_label(v.urn)) for v in violations[:LISTED_RESOURCES])
    hidden = len(violations) - LISTED_RESOURCES
    return shown + (f" and {hidden} more (every one is in the JSON and SARIF reports)" if hidden > 0 else "")


def _policy_block(policy: str, violations: list[Violation], meta: PolicyMeta | None) -> list[str]:
    severity = violations[0].severity or (meta.severity if meta else "") or "unspecified"
    description = meta.description if meta else violations[0].description
    lines = [f"#### {code(policy)} · {escape(severity)} · {len(violations)}", ""]
    if description:
        lines += [f"_{escape(description)}_", ""]
    for finding in group(violations):
        if len(finding.violations) <= INLINE_RESOURCES:  # the resources, then what is wrong with them
            message = finding.text_for(finding.violations[0]) if len(finding.violations) == 1 else finding.message
            lines.append(f"- {_resources(finding.violations)}: {escape(message)}")
        else:
            count = len(finding.violations)
            lines += [
                f"- **{count} resources**: {escape(finding.message)}",
                f"  <details><summary>the {count} resources</summary>",
                "",
                f"  {_resources(finding.violations)}",
                "",
                "  </details>",
            ]
    if meta and meta.remediation:
        lines += ["", f"**How to fix:** {escape(meta.remediation)}"]
    return [*lines, ""]


def render_markdown(result: CheckResult, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The comment: the violations, then the stack's picture in a collapsed section; if it would reach `limit`
    characters, whole policy blocks are dropped from the end and a note says how many violations are not shown."""
    result = result.redacted()
    picture = picture_section(result, limit // 4)
    return _render_violations(result, limit - len(picture)) + picture


def picture_section(result: CheckResult, budget: int) -> str:
    """The stack as a Mermaid flowchart (crosscloud.evidence.graph) in a collapsed `<details>` section, at most
    `budget` characters; its labels are sanitised where they are made."""
    if result.graph is None:
        return ""
    from crosscloud.evidence.graph import mermaid

    chart = mermaid(result.graph)
    head = "\n<details><summary>Stack picture: clouds, components, endpoints and where each is processed</summary>\n\n"
    body = f"```mermaid\n{chart}```\n"
    tail = "\n</details>\n"
    if len(head) + len(body) + len(tail) > budget:
        body = f"The picture ({len(chart):,} characters) does not fit in this comment: run `crosscloud graph`.\n"
    return head + body + tail


def _render_violations(result: CheckResult, limit: int) -> str:
    violations = result.sorted_violations()
    head = _summary(result)
    if not violations:
        head.append("No policy violations.")
    blocks = policy_blocks(result)
    text = "\n".join(head) + "\n"
    chunks = [(count, "\n".join(lines) + "\n") for count, lines in blocks]
    full = text + "".join(chunk for _, chunk in chunks)
    if len(full) < limit:
        return full
    reserve = len(_truncation_note(len(violations)))
    shown = 0
    for i, (count, chunk) in enumerate(chunks):
        needed = len(chunk)
        if count == 0:  # a section heading goes only with its first policy block
            needed += len(chunks[i + 1][1]) if i + 1 < len(chunks) else 0
        if len(text) + needed + reserve >= limit:
            break
        text += chunk
        shown += count
    return _finish(text + _truncation_note(len(violations) - shown), limit)


def policy_blocks(result: CheckResult) -> list[tuple[int, list[str]]]:
    """The comment's body as blocks of lines, in order: a section heading per pack and level (0 violations), then a
    block per policy (its violations); mandatory sections first, the worst severity first within a level. A comment
    that must be cut drops whole blocks from the end (`crosscloud fleet` lays out several stacks' blocks the same
    way)."""
    result = result.redacted()
    metas = {(p.name, name): meta for p in result.packs for name, meta in p.policies.items()}
    violations = result.sorted_violations()
    blocks: list[tuple[int, list[str]]] = []  # (violations in the block, lines)
    order = {"mandatory": 0, "remediate": 0, "advisory": 1}
    severity = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    worst: dict[tuple[str, int], tuple[int, int]] = {}  # per (pack, level): (worst severity, -count)
    for v in violations:
        key = (v.policy_pack, order.get(v.enforcement_level, 2))
        best, count = worst.get(key, (9, 0))
        worst[key] = (min(best, severity.get(v.severity, 4)), count - 1)

    def section(v: Violation) -> tuple[int, tuple[int, int], str]:
        level = order.get(v.enforcement_level, 2)
        return level, worst[(v.policy_pack, level)], v.policy_pack

    ranked = sorted(violations, key=section)  # stable: keeps sorted_violations' severity order inside a section
    for (pack, level), in_pack in groupby(ranked, key=lambda v: (v.policy_pack, v.enforcement_level)):
        items = list(in_pack)
        blocks.append((0, [f"### {escape(pack)}: {_LEVEL_TITLE.get(level, escape(level))} ({len(items)})", ""]))
        by_policy: dict[str, list[Violation]] = {}
        for v in items:
            by_policy.setdefault(v.policy, []).append(v)
        for policy, in_policy in by_policy.items():
            blocks.append((len(in_policy), _policy_block(policy, in_policy, metas.get((pack, policy)))))
    return blocks


def _truncation_note(hidden: int) -> str:
    return (
        f"\n> **Truncated:** {hidden} more violation(s) are not shown (GitHub comments are limited to "
        f"{GITHUB_COMMENT_LIMIT:,} characters); run `crosscloud check --format json` or see the SARIF upload for "
        "all of them.\n"
    )


def _finish(text: str, limit: int) -> str:
    if len(text) >= limit:  # the summary alone is too long (thousands of packs): cut hard, still under the limit
        note = _truncation_note(0)
        text = text[: max(0, limit - len(note) - 1)].rsplit("\n", 1)[0] + note
    return text
