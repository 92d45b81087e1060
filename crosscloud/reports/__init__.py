"""One violation model, four renderings: terminal text, JSON, Markdown (PR comment) and SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Callable

from crosscloud.engine.violations import CheckResult
from crosscloud.reports.json_report import render_json
from crosscloud.reports.markdown import render_markdown
from crosscloud.reports.sarif import render_sarif
from crosscloud.reports.text import render_violations

RENDERERS: dict[str, Callable[[CheckResult], str]] = {
    "text": render_violations,
    "json": render_json,
    "markdown": render_markdown,
    "sarif": render_sarif,
}

__all__ = ["RENDERERS"]
