"""Policy impact: which verdicts two versions of the packs give differently over every stack of the fleet.

Each stack is synthesized once; the base packs and the head packs (each started fresh) check the same graph. A
violation is matched across the two by pack, policy, resource and message; what changes is listed per stack, new
mandatory violations first (the ones that would block a stack once the pack change merges), then new advisory ones,
then mandatory and advisory ones that go away. The stacks whose verdict changes come first.
"""

from __future__ import annotations

import json
from typing import Any

from crosscloud.engine.redaction import Redactor
from crosscloud.fleet.inventory import FleetStack
from crosscloud.fleet.report import verdict, worst
from crosscloud.reports.markdown import GITHUB_COMMENT_LIMIT, code, escape

FORMAT = "crosscloud-fleet-diff/1"
CHANGES = ("new mandatory", "new advisory", "no longer mandatory", "advisory resolved")
_CLEAN = Redactor()


def _level(violation: dict[str, Any]) -> str:
    return "advisory" if violation["enforcementLevel"] == "advisory" else "mandatory"


def _keyed(report: dict[str, Any]) -> dict[tuple[str, str, str, str], str]:
    found: dict[tuple[str, str, str, str], str] = {}
    for v in report["violations"]:
        key = (v["policyPack"], v["policy"], v["urn"], v["message"])
        found[key] = "mandatory" if "mandatory" in (found.get(key), _level(v)) else _level(v)
    return found


def _change(before: str | None, after: str | None) -> str | None:
    if before == after:
        return None
    if after == "mandatory":
        return "new mandatory"
    if before == "mandatory":
        return "no longer mandatory"
    return "new advisory" if after == "advisory" else "advisory resolved"


def changes(base: dict[str, Any], head: dict[str, Any]) -> list[dict[str, Any]]:
    """What differs between two `check --format json` reports of one stack, new mandatory first."""
    b, h = _keyed(base), _keyed(head)
    found = []
    for key in sorted(set(b) | set(h)):
        kind = _change(b.get(key), h.get(key))
        if kind is not None:
            pack, policy, urn, message = key
            found.append(
                {
                    "change": kind,
                    "policyPack": pack,
                    "policy": policy,
                    "urn": urn,
                    "message": message,
                    "before": b.get(key),
                    "after": h.get(key),
                }
            )
    return sorted(found, key=lambda c: CHANGES.index(c["change"]))


def _side(report: dict[str, Any] | None, code_: int | None) -> dict[str, Any] | None:
    if report is None or code_ is None:
        return None
    s = report["summary"]
    return {
        "exitCode": code_,
        "verdict": verdict(code_, s["advisory"]),
        "mandatory": s["mandatory"],
        "advisory": s["advisory"],
        "policyPacks": [f"{p['name']}@{p['version']}" for p in s["policyPacks"]],
    }


def entry(stack: FleetStack, result: dict[str, Any]) -> dict[str, Any]:
    code_ = int(result["exitCode"])
    base = json.loads(result["base"]) if result.get("base") else None
    head = json.loads(result["head"]) if result.get("head") else None
    found = changes(base, head) if base is not None and head is not None else []
    b, h = _side(base, result.get("baseExit")), _side(head, result.get("headExit"))
    return {
        "stack": stack.label,
        "folder": stack.folder,
        "name": stack.stack,
        "exitCode": code_,
        "errors": list(result.get("errors") or []),
        "base": b,
        "head": h,
        "verdictChanged": bool(b and h and b["exitCode"] != h["exitCode"]),
        "changes": found,
    }


def document(entries: list[dict[str, Any]], base: str, head: str) -> dict[str, Any]:
    def rank(e: dict[str, Any]) -> tuple[int, int, str, str]:
        new = sum(1 for c in e["changes"] if c["change"] == "new mandatory")
        return (0 if e["exitCode"] not in (0, 1) else 1 if e["verdictChanged"] else 2, -new, e["folder"], e["name"])

    ordered = sorted(entries, key=rank)
    counts = {kind: sum(1 for e in ordered for c in e["changes"] if c["change"] == kind) for kind in CHANGES}
    failed = [e["exitCode"] for e in ordered if e["exitCode"] not in (0, 1)]
    code_ = worst(failed) if failed else (1 if counts["new mandatory"] else 0)
    return {
        "format": FORMAT,
        "packsBase": base,
        "packsHead": head,
        "summary": {
            "stacks": len(ordered),
            "changed": sum(1 for e in ordered if e["changes"]),
            "newlyBlocked": [e["stack"] for e in ordered if e["verdictChanged"] and e["head"]["exitCode"] == 1],
            "newlyPassing": [e["stack"] for e in ordered if e["verdictChanged"] and e["head"]["exitCode"] == 0],
            "failed": [e["stack"] for e in ordered if e["exitCode"] not in (0, 1)],
            "changes": counts,
            "exitCode": code_,
        },
        "stacks": ordered,
    }


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(_CLEAN.value(doc), indent=2) + "\n"


def _resource(urn: str) -> str:
    return urn.split("::")[-1] if urn else "(stack)"


def render_text(doc: dict[str, Any]) -> str:
    doc = _CLEAN.value(doc)
    s = doc["summary"]
    counts = ", ".join(f"{n} {kind}" for kind, n in s["changes"].items())
    out = [f"policy impact over {s['stacks']} stacks: {doc['packsBase']} -> {doc['packsHead']}"]
    if s["newlyBlocked"]:
        out.append(f"newly blocked: {', '.join(s['newlyBlocked'])}")
    if s["newlyPassing"]:
        out.append(f"newly passing: {', '.join(s['newlyPassing'])}")
    out.append(f"{s['changed']} stacks change: {counts}")
    for e in doc["stacks"]:
        if e["exitCode"] not in (0, 1):
            out += [f"{e['stack']}: {line}" for line in e["errors"]]
            continue
        if not e["changes"]:
            continue
        out.append(f"{e['stack']}: {e['base']['verdict']} -> {e['head']['verdict']}")
        for c in e["changes"]:
            levels = f"{c['before'] or 'none'} -> {c['after'] or 'none'}"
            out.append(
                f"  {c['change']} ({levels}) {c['policyPack']}/{c['policy']} {_resource(c['urn'])}: {c['message']}"
            )
    out.append(f"exit {s['exitCode']}")
    return "\n".join(out) + "\n"


def render_markdown(doc: dict[str, Any], limit: int = GITHUB_COMMENT_LIMIT) -> str:
    doc = _CLEAN.value(doc)
    s = doc["summary"]
    new = s["changes"]["new mandatory"]
    state = f"❌ {new} new mandatory violation(s)" if new else "✅ no new mandatory violation"
    lines = [
        f"## crosscloud policy impact: {state}",
        "",
        f"Packs {code(doc['packsBase'])} → {code(doc['packsHead'])} over {s['stacks']} stacks; "
        f"{s['changed']} of them change: " + ", ".join(f"{n} {kind}" for kind, n in s["changes"].items()) + ".",
        "",
    ]
    if s["newlyBlocked"]:
        lines += ["**Newly blocked:** " + ", ".join(code(x) for x in s["newlyBlocked"]), ""]
    if s["failed"]:
        lines += ["**Could not be checked:** " + ", ".join(code(x) for x in s["failed"]), ""]
    lines += ["| stack | base | head | new mandatory | new advisory | resolved |", "|---|---|---|---:|---:|---:|"]
    shown = [e for e in doc["stacks"] if e["changes"] or e["exitCode"] not in (0, 1)]
    for e in shown:
        n = {kind: sum(1 for c in e["changes"] if c["change"] == kind) for kind in CHANGES}
        base = e["base"]["verdict"] if e["base"] else "-"
        head = e["head"]["verdict"] if e["head"] else "failed"
        resolved = n["no longer mandatory"] + n["advisory resolved"]
        lines.append(
            f"| {code(e['stack'])} | {base} | {head} | {n['new mandatory']} | {n['new advisory']} | {resolved} |"
        )
    text = "\n".join(lines) + "\n\n"
    for e in shown:
        section = [f"<details><summary>{escape(e['stack'])}</summary>", ""]
        section += [f"- {escape(line)}" for line in e["errors"]]
        section += [
            f"- **{c['change']}** {code(c['policyPack'] + '/' + c['policy'])} on {code(_resource(c['urn']))}: "
            f"{escape(c['message'])}"
            for c in e["changes"]
        ]
        chunk = "\n".join([*section, "", "</details>", ""]) + "\n"
        if len(text) + len(chunk) + 300 >= limit:
            text += "> **Truncated:** the fleet diff's JSON report lists every change.\n"
            break
        text += chunk
    return text[: limit - 1]


RENDERERS = {"json": render_json, "markdown": render_markdown, "text": render_text}
