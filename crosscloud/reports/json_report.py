"""Machine-readable results: {"violations": [...], "findings": [...], "remediations": [...], "notes": [...],
"summary": {...}}; `findings` groups the violations as the other reports do (one per rule and message shape)."""

from __future__ import annotations

import json

from crosscloud.engine.violations import CheckResult
from crosscloud.reports.findings import group


def render_json(result: CheckResult) -> str:
    result = result.redacted()
    violations = result.sorted_violations()
    return (
        json.dumps(
            {
                "violations": [v.to_json() for v in violations],
                "findings": [
                    {
                        "policyPack": f.policy_pack,
                        "policy": f.policy,
                        "enforcementLevel": f.enforcement_level,
                        "severity": f.severity,
                        "message": f.message,
                        "urns": f.urns,
                    }
                    for f in group(violations)
                ],
                "remediations": [r.to_json() for r in result.remediations],
                "notes": result.notes,
                "summary": result.summary(),
            },
            indent=2,
        )
        + "\n"
    )
