"""Safe YAML reading that remembers on which line every value stands.

Messages about ``targets.yaml`` must name the line, so the document is composed into PyYAML's node
tree (``yaml.SafeLoader``: no arbitrary objects) and converted by hand into ``LineMap`` and
``LineList`` (plain ``dict`` / ``list`` that also carry line numbers) and plain scalars.

Two deliberate departures from bare YAML 1.1 (PyYAML's dialect), both to spare users surprises:
an unquoted ``17:00`` stays the text ``"17:00"`` (YAML 1.1 would read the base-60 integer 1020), and
a scalar PyYAML cannot construct (an impossible date such as ``2026-02-30``) stays its text so the
caller can say what is wrong with it. Duplicate keys are reported, not silently overwritten.

Hostile or broken input ends in a located problem, never an exception: control characters, nesting
deeper than ``MAX_DEPTH``, an alias inside its own anchor (a cycle), alias bombs (``MAX_NODES``),
YAML tags other than the plain types, integers too large for a float, and texts longer than
``MAX_TEXT``. Messages never quote more than a short excerpt of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# Aliases let a document reuse a node many times; a cap keeps a malicious "billion laughs" file
# from expanding without bound.
MAX_NODES = 200_000
# Deeper nesting than any settings file needs; far below Python's recursion limit.
MAX_DEPTH = 64
# Longer than any KPI, label, name or time zone; keeps messages and label values bounded.
MAX_TEXT = 1000
# Integers beyond this lose precision as floats (and far beyond it cannot be one at all).
MAX_INTEGER = 2**53

_YAML = "tag:yaml.org,2002:"
_INT_TAG = _YAML + "int"
_FLOAT_TAG = _YAML + "float"
_MERGE_TAG = _YAML + "merge"
# The plain types a settings file is written in; any other tag (!!binary, !!set, !!python/...,
# a local !tag) is refused rather than read as something the file did not mean.
_PLAIN_TAGS = frozenset(
    _YAML + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
) | {_MERGE_TAG}
# Plain scalars YAML 1.1 gives a special tag: a bare "=" (!!value) and "!", "&", "*" (!!yaml).
_SPECIAL_SCALAR_TAGS = frozenset({_YAML + "value", _YAML + "yaml"})


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


def excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted, cut to ``limit`` characters: enough to recognise, never a whole file."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than ``MAX_DEPTH`` while composing (the
    composer recurses once per level and would otherwise hit Python's recursion limit)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlSyntaxError(mark.line + 1, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load(text: str) -> YamlDocument:
    """Read one YAML document. Raises YamlSyntaxError (with the parser's line) when malformed."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader checks every character here
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlSyntaxError(line, f"malformed YAML: {reason or 'cannot be read'}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise YamlSyntaxError(
            line, f"control character U+{code:04X} is not allowed (write it as an escape)"
        ) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, f"malformed YAML: {type(error).__name__}") from None
    finally:
        if loader is not None:
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
        self._open: set[int] = set()  # the collection nodes being converted (to find cycles)

    def convert(self, node: yaml.Node) -> Any:
        self._visited += 1
        line = node.start_mark.line + 1
        if self._visited > MAX_NODES:
            raise YamlSyntaxError(line, "document too large (alias expansion)")
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace(_YAML, "!!", 1)
            if isinstance(node, yaml.ScalarNode) and node.tag in _SPECIAL_SCALAR_TAGS:
                message = f"{excerpt(node.value)} means something else in YAML: quote it"
            else:
                message = f"the YAML tag {excerpt(tag)} is not allowed"
            self._issues.append(YamlIssue(line, message))
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self._open:
            raise YamlSyntaxError(line, "an alias refers to a node that contains it (a cycle)")
        if len(self._open) >= MAX_DEPTH:
            raise YamlSyntaxError(line, f"nested deeper than {MAX_DEPTH} levels (through aliases)")
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node)
            result = LineList(self.convert(item) for item in node.value)
            result.line = line
            result.item_lines = [item.start_mark.line + 1 for item in node.value]
            return result
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode) -> LineMap:
        try:
            self._loader.flatten_mapping(node)  # resolves "<<" merge keys
        except RecursionError:
            raise YamlSyntaxError(
                node.start_mark.line + 1, "a merge key (<<) refers to a node that contains it"
            ) from None
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or node.start_mark
            raise YamlSyntaxError(mark.line + 1, f"malformed YAML: {error.problem}") from None
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

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        raw: str = node.value
        line = node.start_mark.line + 1
        if len(raw) > MAX_TEXT:
            self._issues.append(
                YamlIssue(line, f"{excerpt(raw)} is {len(raw)} characters long, over {MAX_TEXT}")
            )
            return None
        if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in raw:
            return raw  # YAML 1.1 base-60 number: the user meant a time of day
        try:
            value = self._loader.construct_object(node, deep=True)
        except Exception:  # PyYAML's constructors fail in many ways (``!!int ""``: IndexError)
            return raw
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            self._issues.append(YamlIssue(line, f"the number {excerpt(raw)} is too large"))
            return None
        return value
