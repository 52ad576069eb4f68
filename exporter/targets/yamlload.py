"""Safe YAML reading that remembers on which line every value stands.

Messages about ``targets.yaml`` must name the line, so the document is composed into PyYAML's node
tree (``yaml.SafeLoader``: no arbitrary objects) and converted by hand into ``LineMap`` and
``LineList`` (plain ``dict`` / ``list`` that also carry line numbers) and plain scalars.

Two deliberate departures from bare YAML 1.1 (PyYAML's dialect), both to spare users surprises:
an unquoted ``17:00`` stays the text ``"17:00"`` (YAML 1.1 would read the base-60 integer 1020), and
a scalar PyYAML cannot construct (an impossible date such as ``2026-02-30``) stays its text so the
caller can say what is wrong with it. Duplicate keys are reported, not silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# Aliases let a document reuse a node many times; a cap keeps a malicious "billion laughs" file
# from expanding without bound.
MAX_NODES = 200_000

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class LineMap(dict[Any, Any]):
    """A mapping with the line it starts on and the line of every key (all 1-based)."""

    line: int
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence with the line it starts on and the line of every item (all 1-based)."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


@dataclass(frozen=True, slots=True)
class YamlIssue:
    line: int
    message: str


@dataclass(slots=True)
class YamlDocument:
    """The converted document (None for an empty one) and what went wrong while reading it."""

    data: Any
    issues: list[YamlIssue] = field(default_factory=list)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def load(text: str) -> YamlDocument:
    """Read one YAML document. Raises YamlSyntaxError (with the parser's line) when malformed."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlSyntaxError(line, f"malformed YAML: {reason or error}") from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, f"malformed YAML: {error}") from None
    finally:
        loader.dispose()
    document = YamlDocument(data=None)
    if node is not None:
        converter = _Converter(loader, document.issues)
        document.data = converter.convert(node)
    return document


class _Converter:
    def __init__(self, loader: yaml.SafeLoader, issues: list[YamlIssue]) -> None:
        self._loader = loader
        self._issues = issues
        self._visited = 0

    def convert(self, node: yaml.Node) -> Any:
        self._visited += 1
        if self._visited > MAX_NODES:
            raise YamlSyntaxError(node.start_mark.line + 1, "document too large (alias expansion)")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            result = LineList(self.convert(item) for item in node.value)
            result.line = node.start_mark.line + 1
            result.item_lines = [item.start_mark.line + 1 for item in node.value]
            return result
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode) -> LineMap:
        self._loader.flatten_mapping(node)  # resolves "<<" merge keys
        result = LineMap()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            line = key_node.start_mark.line + 1
            if isinstance(key, (dict, list)):
                self._issues.append(YamlIssue(line, "a key must be a plain value"))
                continue
            if key in result:
                first = result.key_lines[key]
                self._issues.append(
                    YamlIssue(line, f"duplicate key {key!r} (first at line {first})")
                )
                continue
            result[key] = self.convert(value_node)
            result.key_lines[key] = line
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        raw = node.value
        if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in raw:
            return raw  # YAML 1.1 base-60 number: the user meant a time of day
        try:
            return self._loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            return raw
