"""One report for the whole fleet: a JSON document, a SARIF file with a run per stack, a Markdown PR comment, a table.

The JSON document is the fleet's record and what `fleet merge` reads back: per stack its exit code, verdict, error
lines, counts, the stack's own `check --format json` report (byte for byte the same object a single run writes), its
SARIF run and its Markdown blocks; no timings, so the same stacks and packs always give the same bytes, and shards
merge into exactly the document one run over every stack writes. Every stack's parts were rendered and redacted in
that stack's child with its own secrets; each rendering here passes the redaction step again (key material).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from crosscloud.declaration import ConfigIssue, DeclarationError
from crosscloud.engine.redaction import Redactor
from crosscloud.fleet.inventory import FleetStack
from crosscloud.fleet.shard import Shard
from crosscloud.reports.markdown import GITHUB_COMMENT_LIMIT, code, escape
from crosscloud.reports.sarif import SARIF_SCHEMA, tool_version

FORMAT = "crosscloud-fleet/1"
VERDICTS = {0: "compliant", 1: "blocked", 2: "input error", 3: "failed"}
_ICONS = {"compliant": "✅", "advisory": "⚠️", "blocked": "❌", "input error": "⛔", "failed": "💥", "cancelled": "⏹"}
_RANK = {"failed": 0, "input error": 1, "blocked": 2, "cancelled": 3, "advisory": 4, "compliant": 5}
TABLE_BUDGET = 20_000  # characters of stack table before compliant stacks are folded into one row


def verdict(exit_code: int, advisory: int) -> str:
    if exit_code == 0 and advisory:
        return "advisory"
    return VERDICTS.get(exit_code, "cancelled")


def worst(codes: list[int]) -> int:
    """The fleet's exit code: the worst stack's (3 over 2 over 1 over 0)."""
    return max(codes, default=0)


def entry(stack: FleetStack, result: dict[str, Any], root_stack_file: str) -> dict[str, Any]:
    """One stack's part of the document, from its child's result."""
    code = int(result["exitCode"])
    report = json.loads(result["report"]) if result.get("report") else None
    advisory = int(result.get("advisory", 0))
    run = result.get("sarif") or failure_run(stack, code, result.get("errors") or [])
    run["automationDetails"] = {"id": f"crosscloud/{stack.folder}/{stack.stack}/"}  # one category per stack
    return {
        "stack": stack.label,
        "folder": stack.folder,
        "name": stack.stack,
        "stackFile": root_stack_file,
        "exitCode": code,
        "verdict": verdict(code, advisory),
        "errors": list(result.get("errors") or []),
        "resources": int(result.get("resources", 0)),
        "mandatory": int(result.get("mandatory", 0)),
        "advisory": advisory,
        "report": report,
        "sarif": run,
        "markdown": result.get("markdown") or [],
    }


def failure_run(stack: FleetStack, exit_code: int, errors: list[str]) -> dict[str, Any]:
    """The SARIF run of a stack that gave no verdict: no results, a failed invocation naming why."""
    driver: dict[str, Any] = {"name": "crosscloud", "rules": []}
    version = tool_version()
    if version:
        driver.update(version=version, semanticVersion=version)
    return {
        "tool": {"driver": driver},
        "results": [],
        "invocations": [
            {
                "executionSuccessful": False,
                "exitCode": exit_code,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": line}} for line in errors or [f"exit code {exit_code}"]
                ],
            }
        ],
    }


def summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts = Counter(e["verdict"] for e in entries)
    return {
        "stacks": len(entries),
        "exitCode": worst([e["exitCode"] for e in entries]),
        "verdicts": {name: verdicts[name] for name in sorted(verdicts, key=lambda v: _RANK.get(v, 9))},
        "resources": sum(e["resources"] for e in entries),
        "mandatory": sum(e["mandatory"] for e in entries),
        "advisory": sum(e["advisory"] for e in entries),
    }


def document(
    entries: list[dict[str, Any]], shard: Shard | None, missing_shards: list[int] | None = None
) -> dict[str, Any]:
    ordered = sorted(entries, key=lambda e: (e["folder"], e["name"]))
    doc: dict[str, Any] = {"format": FORMAT, "shard": shard.to_json() if shard else None, "summary": summary(ordered)}
    if missing_shards:
        doc["summary"]["missingShards"] = missing_shards
        doc["summary"]["exitCode"] = 3  # part of the fleet has no result at all: no verdict for the fleet
    doc["stacks"] = ordered
    return doc


def exit_code(doc: dict[str, Any]) -> int:
    return int(doc["summary"]["exitCode"])


# -- renderings ---------------------------------------------------------------------------------------------------
_CLEAN = Redactor()  # no secrets of its own: key material only (each stack's secrets were redacted in its child)


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(_CLEAN.value(doc), indent=2) + "\n"


def render_sarif(doc: dict[str, Any]) -> str:
    runs = [_CLEAN.value(e["sarif"]) for e in doc["stacks"]]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}, indent=2) + "\n"


def _ranked(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: (_RANK.get(e["verdict"], 9), -e["mandatory"], e["folder"], e["name"]))


def _headline(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    v = s["verdicts"]
    failed = v.get("failed", 0) + v.get("input error", 0)
    if failed:
        state = f"💥 {failed} of {s['stacks']} stacks could not be checked"
    elif v.get("blocked"):
        state = f"❌ {v['blocked']} of {s['stacks']} stacks blocked"
    elif v.get("advisory"):
        state = f"⚠️ {s['stacks']} stacks, advisory findings"
    else:
        state = f"✅ {s['stacks']} stacks compliant"
    shard = f" (shard {doc['shard']['index']}/{doc['shard']['total']})" if doc.get("shard") else ""
    return f"## crosscloud fleet check{shard}: {state}"


def _counts_line(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    parts = ", ".join(f"{n} {name}" for name, n in s["verdicts"].items())
    missing = s.get("missingShards")
    gap = f" **Shards without a report: {', '.join(map(str, missing))}.**" if missing else ""
    return (
        f"{s['stacks']} stacks ({parts}), {s['resources']:,} resources: **{s['mandatory']} mandatory**, "
        f"{s['advisory']} advisory. Exit code {s['exitCode']} ({_why(s)}).{gap}"
    )


def _why(s: dict[str, Any]) -> str:
    return "a shard has no report" if s.get("missingShards") else "the worst stack's"


def _row(e: dict[str, Any]) -> str:
    icon = _ICONS.get(e["verdict"], "")
    return f"| {code(e['stack'])} | {icon} {e['verdict']} | {e['resources']} | {e['mandatory']} | {e['advisory']} |"


def _section(e: dict[str, Any], room: int) -> tuple[str, int, int]:
    """A stack's collapsed section within `room` characters: (text, violations shown, violations in the stack)."""
    icon = _ICONS.get(e["verdict"], "")
    head = (
        f"<details><summary>{icon} {escape(e['stack'])}: {e['verdict']}, {e['mandatory']} mandatory, "
        f"{e['advisory']} advisory</summary>\n\n"
    )
    tail = "</details>\n\n"
    total = sum(b["violations"] for b in e["markdown"])
    body = ""
    if e["errors"]:
        body = "".join(f"- {escape(line)}\n" for line in e["errors"]) + "\n"
    shown = 0
    blocks = e["markdown"]
    for i, block in enumerate(blocks):
        needed = len(block["text"]) + (
            len(blocks[i + 1]["text"]) if block["violations"] == 0 and i + 1 < len(blocks) else 0
        )
        if len(head) + len(body) + needed + len(tail) + 200 >= room:
            body += f"> {total - shown} more violation(s) of this stack are in the JSON and SARIF reports.\n\n"
            break
        body += block["text"]
        shown += block["violations"]
    return head + body + tail, shown, total


def render_markdown(doc: dict[str, Any], limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The PR comment: a headline, a table of stacks (worst first), then each stack with findings or a failure in a
    collapsed section; under `limit` characters, with a note saying what did not fit."""
    doc = _CLEAN.value(doc)
    ranked = _ranked(doc["stacks"])
    lines = [_headline(doc), "", _counts_line(doc), "", "| stack | verdict | resources | mandatory | advisory |"]
    lines.append("|---|---|---:|---:|---:|")
    table = 0
    folded = 0
    for e in ranked:
        row = _row(e)
        if e["verdict"] == "compliant" and table + len(row) > TABLE_BUDGET:
            folded += 1
            continue
        lines.append(row)
        table += len(row) + 1
    if folded:
        lines.append(f"| … {folded} more compliant stacks (every one is in the JSON report) | ✅ compliant | | | |")
    text = "\n".join(lines) + "\n\n"
    reserve = 400
    hidden_stacks = hidden = 0
    for e in ranked:
        if e["verdict"] == "compliant":
            continue
        room = limit - len(text) - reserve
        total = sum(b["violations"] for b in e["markdown"])
        if room < 600:
            hidden_stacks += 1
            hidden += total
            continue
        section, shown, total = _section(e, room)
        text += section
        hidden += total - shown
    if hidden_stacks or hidden:
        text += (
            f"> **Truncated:** {hidden} violation(s) in {hidden_stacks or 'the'} stack(s) above are not shown "
            f"(GitHub comments are limited to {GITHUB_COMMENT_LIMIT:,} characters); see the fleet's JSON report or "
            "the SARIF upload for all of them.\n"
        )
    return text[: limit - 1]


def render_text(doc: dict[str, Any], seconds: dict[str, float] | None = None) -> str:
    """The summary table (stacks worst first), each failed stack's error lines, and the fleet's line."""
    doc = _CLEAN.value(doc)
    ranked = _ranked(doc["stacks"])
    rows = [("STACK", "VERDICT", "EXIT", "RESOURCES", "MANDATORY", "ADVISORY", *(["SECONDS"] if seconds else []))]
    for e in ranked:
        row = (
            e["stack"],
            e["verdict"],
            str(e["exitCode"]),
            str(e["resources"]),
            str(e["mandatory"]),
            str(e["advisory"]),
        )
        rows.append(row + ((f"{seconds.get(e['stack'], 0.0):.2f}",) if seconds else ()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for e in ranked:
        for line in e["errors"]:
            out.append(f"{e['stack']}: {line}")
    s = doc["summary"]
    parts = ", ".join(f"{n} {name}" for name, n in s["verdicts"].items())
    missing = f"; shards without a report: {', '.join(map(str, s['missingShards']))}" if s.get("missingShards") else ""
    out.append(
        f"{s['stacks']} stacks: {parts}; {s['mandatory']} mandatory, {s['advisory']} advisory violations{missing}; "
        f"exit {s['exitCode']} ({_why(s)})"
    )
    return "\n".join(out) + "\n"


RENDERERS = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown, "text": render_text}


# -- merge --------------------------------------------------------------------------------------------------------
def read_document(path: str, text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise DeclarationError([ConfigIssue(path, "-", f"not JSON: {exc}")]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("stacks"), list):
        raise DeclarationError([ConfigIssue(path, "format", f"not a fleet report (format {FORMAT!r})")])
    return doc


def merge(docs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One document from the shards' documents. Every shard of an N-way split must be there once (a missing one is
    named in the summary and makes the exit code 3); a stack in two documents, or documents of different splits,
    are an error."""
    issues: list[ConfigIssue] = []
    seen: dict[tuple[str, str], str] = {}
    entries: list[dict[str, Any]] = []
    totals = {d["shard"]["total"] for _, d in docs if d.get("shard")}
    indices: dict[int, str] = {}
    for path, doc in docs:
        shard = doc.get("shard")
        if shard is None and len(docs) > 1:
            issues.append(ConfigIssue(path, "shard", "covers the whole fleet: merge only shards of one split"))
        if shard is not None:
            if shard["index"] in indices:
                issues.append(ConfigIssue(path, "shard", f"shard {shard['index']} is also {indices[shard['index']]}"))
            indices[shard["index"]] = path
        for e in doc["stacks"]:
            key = (e["folder"], e["name"])
            if key in seen:
                issues.append(ConfigIssue(path, "stacks", f"{e['stack']} is also in {seen[key]}"))
                continue
            seen[key] = path
            entries.append(e)
    if len(totals) > 1:
        issues.append(ConfigIssue(docs[0][0], "shard", f"the documents come from different splits ({sorted(totals)})"))
    if issues:
        raise DeclarationError(issues)
    total = totals.pop() if totals else None
    missing = sorted(set(range(total)) - set(indices)) if total else []
    return document(entries, None, missing or None)
