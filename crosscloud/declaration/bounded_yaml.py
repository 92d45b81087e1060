"""YAML parsed with bounds: no alias bomb, no stack overflow, no duplicate keys, no unbounded file.

A stack file is user input. PyYAML shares aliased nodes while parsing, but everything downstream (validation, JSON
for the engine, reports) expands them, so "a billion laughs" turns a few hundred bytes into gigabytes. Nesting a few
thousand levels deep overflows the recursive composer. Pulumi rejects duplicate mapping keys; PyYAML silently keeps
the last one. Each of these is a clear input error here, never a crash or a silent guess.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 200_000  # scalars, sequences and mappings, counting every alias expansion
MAX_DEPTH = 64
MAX_INTEGER_DIGITS = 19  # a 64-bit integer; config reaches the engine and packs as JSON numbers (float64)
# YAML types Pulumi config does not carry (Go's yaml decodes them into other strings or refuses them); PyYAML would
# build bytes, dates and sets that no later step can pass on.
_REFUSED_TAGS = {f"tag:yaml.org,2002:{name}": f"!!{name}" for name in ("binary", "timestamp", "set", "omap", "pairs")}
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class YamlLimitError(ValueError):
    """The document breaks a bound; the message says which and where."""


class StrictKeysLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys in a mapping, as Pulumi does."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: PyYAML reports it below
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class CoreSchemaLoader(StrictKeysLoader):
    """YAML as Pulumi reads its files (YAML 1.2 core scalars): dates stay strings, only true/false are booleans, and a
    duplicate key is an error. PyYAML follows YAML 1.1, where `NO` is false and `2026-12-07` a date; Pulumi would pass
    both on as strings."""


CoreSchemaLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CoreSchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _scalar_problem(node: yaml.ScalarNode) -> str | None:
    """Why a scalar cannot be config: a lone surrogate, an integer too long for any consumer, a non-finite float."""
    try:
        node.value.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate escape (\\ud800-\\udfff), which is not text"
    if node.tag == _INT:
        digits = len(node.value.replace("_", "").lstrip("+-"))
        if digits > MAX_INTEGER_DIGITS:
            return f"holds an integer of {digits} digits; at most {MAX_INTEGER_DIGITS} (a 64-bit integer)"
    if node.tag == _FLOAT:
        try:
            number = float(node.value.replace("_", "").lower().replace(".inf", "inf").replace(".nan", "nan"))
        except ValueError:
            return None
        if not math.isfinite(number):
            return "holds a number that is not finite (.inf, .nan or too large); JSON has no such number"
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_size(root: yaml.Node) -> None:
    """Refuse a document whose alias-expanded size or depth breaks the bounds (aliased nodes are shared, so sizes
    are memoised per node: the walk itself stays linear in the document's text)."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
    active: set[int] = set()

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        where = f"line {node.start_mark.line + 1}"
        if node.tag in _REFUSED_TAGS:
            raise YamlLimitError(
                f"{where}: the YAML tag {_REFUSED_TAGS[node.tag]} is not supported; write a plain string, number, "
                "boolean, list or mapping"
            )
        if isinstance(node, yaml.ScalarNode) and (problem := _scalar_problem(node)):
            raise YamlLimitError(f"{where}: {problem}")
        if key in active:
            raise YamlLimitError(f"line {node.start_mark.line + 1}: an alias refers to its own anchor")
        if key not in measured:
            active.add(key)
            size, height = 1, 1
            for child in _children(node):
                child_size, child_height = measure(child, depth + 1)
                size, height = size + child_size, max(height, child_height + 1)
                if size > MAX_NODES:
                    raise YamlLimitError(f"expands to more than {MAX_NODES:,} values (aliases counted at every use)")
            active.discard(key)
            measured[key] = (size, height)
        size, height = measured[key]
        if depth + height - 1 > MAX_DEPTH:
            raise YamlLimitError(f"line {node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
        return size, height

    measure(root, 1)


def load(text: str, loader: type[yaml.SafeLoader] = StrictKeysLoader) -> Any:
    """Parse one YAML document within the bounds above; raise YamlLimitError or yaml.YAMLError."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_FILE_BYTES:
        raise YamlLimitError(f"is larger than {MAX_FILE_BYTES // 1024} KiB")
    parser = loader(text)
    try:
        try:
            node = parser.get_single_node()
        except RecursionError:
            raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep") from None
        if node is None:
            return None
        _check_size(node)
        return parser.construct_document(node)
    finally:
        parser.dispose()
