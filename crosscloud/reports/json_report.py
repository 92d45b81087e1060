"""Machine-readable results: {"violations": [...], "remediations": [...], "notes": [...], "summary": {...}}."""

from __future__ import annotations

import json

from crosscloud.engine.violations import CheckResult


def render_json(result: CheckResult) -> str:
    return (
        json.dumps(
            {
                "violations": [v.to_json() for v in result.sorted_violations()],
                "remediations": [r.to_json() for r in result.remediations],
                "notes": result.notes,
                "summary": result.summary(),
            },
            indent=2,
        )
        + "\n"
    )
