"""The Mermaid picture: components per cloud with what they hold, endpoints and where each is processed, and labels
that a pull request cannot turn into markup; the PR comment keeps it inside the comment limit."""

from __future__ import annotations

from crosscloud.engine.graph import Resource
from crosscloud.engine.violations import CheckResult
from crosscloud.evidence.graph import label, mermaid
from crosscloud.reports.markdown import render_markdown
from tests.graphs import STACK_URN, graph, provider, resource, urn


def component(type_: str, name: str) -> Resource:
    return Resource(
        urn=urn(type_, name), type=type_, name=name, parent=STACK_URN, provider=None, custom=False, inputs={}
    )


def test_components_children_and_endpoints() -> None:
    bedrock = component("crosscloud:aws:BedrockAccess", "aws-bedrock")
    foundry = component("crosscloud:azure:Foundry", "azure-foundry")
    eu = provider("aws", "aws-eu", region="eu-north-1")
    child = resource("aws:iam/policy:Policy", "p", eu)
    child.parent = bedrock.urn
    nested = resource("aws:iam/policy:Policy", "q", eu)
    nested.parent = child.urn  # a child of a child counts for the component too
    g = graph([bedrock, foundry, eu, child, nested])
    g.outputs = {
        "endpoints": {
            "chat": {
                "primary": "azure",
                "aws": {"offering": "in-region", "region": "eu-north-1"},
                "azure": {"processing": "regional", "location": "swedencentral", "route": "deployment"},
            },
            "drafts": {"primary": "aws", "aws": {"offering": "profile", "region": "eu-central-1"}, "azure": None},
        }
    }
    chart = mermaid(g)
    assert '    c0["aws-bedrock: BedrockAccess (2 resources)"]' in chart
    assert '    c1["azure-foundry: Foundry (0 resources)"]' in chart
    assert '  e0 -.->|"in-region eu-north-1"| c0' in chart and '  e0 -->|"regional swedencentral"| c1' in chart
    assert '  e1 -->|"profile eu-central-1"| c0' in chart


def test_labels_cannot_break_out() -> None:
    hostile = 'x"] --> y\nclick c0 "javascript:alert(1)"\n```<img src=x>[link](http://e)'
    safe = label(hostile)
    assert safe == "x__ --_ y click c0 _javascript:alert(1)_ ____img src_x__link_(http://e)"
    assert not set(safe) & set('"`<>[]{}|;\n#&')  # nothing that ends a label, a node, the fence or starts markup
    g = graph([resource("aws:s3/bucket:Bucket", hostile, None, region="eu-north-1")])
    chart = mermaid(g)
    assert chart.count('"') % 2 == 0 and "`" not in chart and "<" not in chart and "\nclick" not in chart


def test_the_comment_keeps_the_picture_collapsed_and_within_the_limit() -> None:
    g = graph([resource("aws:s3/bucket:Bucket", f"bucket-{i}", None, region="eu-north-1") for i in range(5)])
    result = CheckResult(project="p", stack="s", resources=5, packs=[], graph=g)
    text = render_markdown(result)
    assert "<details><summary>Stack picture" in text and "```mermaid\nflowchart LR\n" in text
    small = render_markdown(result, limit=600)
    assert len(small) < 600 and "does not fit in this comment: run `crosscloud graph`" in small
    assert "<details>" not in render_markdown(CheckResult(project="p", stack="s", resources=0, packs=[]))
