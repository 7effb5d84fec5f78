"""Load YAML with PyYAML and keep where every key and value was written.

Rule files are edited by people; when one is wrong, the message must point at the line and column they
typed. PyYAML's composer keeps a mark on each node: we build plain Python data from the node tree and,
beside it, a map from each JSON path (tuple of keys and indexes) to the (line, column) of that node.

On request (``fast=True``), the tree is composed by libyaml (PyYAML's C parser, ``CSafeLoader``, when
PyYAML was built with it): nodes with the same marks, about seven times faster. libyaml is not PyYAML's
parser, though: it accepts a few texts that PyYAML refuses (tabs after ``key:`` or inside ``[...]``, for
instance) and reads a BOM that starts a line differently. So it is used only for text already known to
give the same data with both (engine.rules checks that before remembering a rule set as valid); a text
it refuses is parsed again by the pure-Python parser, whose messages and positions are the ones reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import OndeError

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML document's data and the 1-based (line, column) of each path's key (or value, for items)."""

    data: Any
    positions: dict[JsonPath, tuple[int, int]]
    file: Path

    def where(self, path: Iterable[str | int]) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that has one (the document start at worst)."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def error(self, path: Iterable[str | int], message: str, hint: str | None = None) -> OndeError:
        line, column = self.where(path)
        return OndeError(message, file=self.file, line=line, column=column, hint=hint)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def utf8_text(data: bytes) -> str:
    """UTF-8 bytes as ``Path.read_text(encoding="utf-8")`` gives them (universal newlines)."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


#: libyaml's composer when PyYAML was built with it, else None (the pure-Python composer only)
_C_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def load_located(path: Path, data: bytes | None = None, *, fast: bool = False) -> Located:
    """Parse one YAML file; syntax errors and duplicate keys become :class:`OndeError` with a position.

    ``data`` is the file's content when the caller has read it already (the file is then not read);
    ``fast`` composes with libyaml when available (see the module's documentation for when it may).
    """
    try:
        text = path.read_text(encoding="utf-8") if data is None else utf8_text(data)
    except UnicodeDecodeError as exc:
        raise OndeError(
            "YAML files must be UTF-8", file=path, hint="re-save the file as UTF-8 in your editor"
        ) from exc
    except OSError as exc:
        raise OndeError(
            f"cannot read the file ({exc.strerror or type(exc).__name__})",
            file=path,
            hint="check that it is a readable file (not a directory, nor a link to a missing file)",
        ) from None
    node = _compose(text, path, fast)
    if node is None:
        raise OndeError(
            "the YAML file is empty", file=path, line=1, hint="write its content, or remove the file"
        )
    positions: dict[JsonPath, tuple[int, int]] = {(): _mark(node)}
    value = _build(node, (), positions, path, yaml.constructor.SafeConstructor())
    return Located(value, positions, path)


def _compose(text: str, path: Path, fast: bool) -> yaml.Node | None:
    """The document's node tree (None when empty); a syntax error becomes an :class:`OndeError`."""
    if fast and _C_LOADER is not None:
        c_loader = None
        try:
            c_loader = _C_LOADER(text)
            return _compose_guarded(c_loader, path)
        except yaml.YAMLError:
            pass  # parsed again below: errors keep the pure-Python parser's messages and positions
        finally:
            if c_loader is not None:
                c_loader.dispose()
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters at once
        return _compose_guarded(loader, path)
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow, raw in the file
        before = text[: exc.position]
        raise OndeError(
            f"the file holds a control character (U+{exc.character:04X}) that YAML does not allow",
            file=path,
            line=before.count("\n") + 1,
            column=exc.position - (before.rfind("\n") + 1) + 1,
            hint="remove it (write it as an escape such as \\t inside double quotes if it is meant)",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise OndeError(
            f"YAML syntax error: {exc.problem or exc.context}",
            file=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="fix the indentation or quoting at that place (a value with ':' or '#' needs quotes)",
        ) from exc
    finally:
        if loader is not None:
            loader.dispose()


#: deepest nesting of lists and mappings accepted (rule files and db maps need fewer than 10 levels)
MAX_DEPTH = 100
#: aliases (``*name``) accepted in one file, and values they may bring in all together: an "alias bomb"
#: (each alias repeating the previous ones, a billion values from a kilobyte) is refused at once
MAX_ALIASES = 100
MAX_ALIAS_VALUES = 10_000


@dataclass(slots=True)
class _Open:
    """A list or mapping being composed: its node, its children so far, the value count when it began."""

    node: yaml.CollectionNode
    children: list[yaml.Node]
    start: int
    anchor: str | None


def _refuse(path: Path, mark: Any, message: str, hint: str) -> OndeError:
    return OndeError(message, file=path, line=mark.line + 1, column=mark.column + 1, hint=hint)


def _compose_guarded(loader: Any, path: Path) -> yaml.Node | None:
    """PyYAML's ``get_single_node``, without recursion and with budgets: nesting deeper than
    :data:`MAX_DEPTH`, more than :data:`MAX_ALIASES` aliases, aliases bringing in more than
    :data:`MAX_ALIAS_VALUES` values or an alias inside what it names are refused with the place, before
    anything is built. Works with the pure-Python parser and with libyaml's (whose own composer is
    recursive in C: a deep enough file would crash the process)."""
    ev = yaml.events
    loader.get_event()  # stream start
    if loader.check_event(ev.StreamEndEvent):
        loader.get_event()
        return None
    loader.get_event()  # document start
    anchors: dict[str, yaml.Node] = {}
    sizes: dict[int, int] = {}  # id(anchored node) → values it holds, aliases expanded
    stack: list[_Open] = []
    values = aliases = alias_values = 0
    root: yaml.Node | None = None
    while root is None:
        event = loader.get_event()
        node: yaml.Node | None = None
        if isinstance(event, ev.AliasEvent):
            target = anchors.get(event.anchor)
            if target is None:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            size = sizes.get(id(target))
            if size is None:
                raise _refuse(
                    path, event.start_mark, f"alias *{event.anchor} is inside what it names", _ALIAS_HINT
                )
            aliases += 1
            alias_values += size
            values += size
            if aliases > MAX_ALIASES or alias_values > MAX_ALIAS_VALUES:
                what = (
                    f"more than {MAX_ALIASES} YAML aliases"
                    if aliases > MAX_ALIASES
                    else f"YAML aliases bringing in more than {MAX_ALIAS_VALUES} values (an alias bomb?)"
                )
                raise _refuse(path, event.start_mark, what, _ALIAS_HINT)
            node = target
        elif isinstance(event, (ev.ScalarEvent, ev.SequenceStartEvent, ev.MappingStartEvent)):
            if event.anchor is not None and event.anchor in anchors:
                raise yaml.composer.ComposerError(
                    f"found duplicate anchor {event.anchor!r}; first occurrence",
                    anchors[event.anchor].start_mark,
                    "second occurrence",
                    event.start_mark,
                )
            values += 1
            if isinstance(event, ev.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    sizes[id(node)] = 1
            else:
                if len(stack) >= MAX_DEPTH:
                    raise _refuse(
                        path,
                        event.start_mark,
                        f"YAML nested deeper than {MAX_DEPTH} levels",
                        "flatten the file: rules and db maps need a few levels only",
                    )
                mapping = isinstance(event, ev.MappingStartEvent)
                kind = yaml.MappingNode if mapping else yaml.SequenceNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(kind, None, event.implicit)
                collection = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    anchors[event.anchor] = collection
                stack.append(_Open(collection, [], values - 1, event.anchor))
                continue
        elif isinstance(event, (ev.SequenceEndEvent, ev.MappingEndEvent)):
            done = stack.pop()
            node = done.node
            node.end_mark = event.end_mark
            children = done.children
            node.value = (
                list(zip(children[::2], children[1::2], strict=True))
                if isinstance(node, yaml.MappingNode)
                else children
            )
            if done.anchor is not None:
                sizes[id(node)] = values - done.start
        else:  # pragma: no cover - the parser yields nothing else inside a document
            raise yaml.composer.ComposerError(None, None, f"unexpected {event}", event.start_mark)
        if stack:
            stack[-1].children.append(node)
        else:
            root = node
    loader.get_event()  # document end
    if not loader.check_event(ev.StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream",
            root.start_mark,
            "but found another document",
            event.start_mark,
        )
    loader.get_event()
    return root


_ALIAS_HINT = "write the values out instead of repeating them with YAML aliases (*name)"


def _build(
    node: yaml.Node,
    path: JsonPath,
    positions: dict[JsonPath, tuple[int, int]],
    file: Path,
    constructor: yaml.constructor.SafeConstructor,
) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, file, constructor) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                line, column = _mark(key_node)
                raise OndeError("a key must be a plain value", file=file, line=line, column=column)
            key = "" if key is None else (key if isinstance(key, str) else str(key))
            if key in result:
                line, column = _mark(key_node)
                first = positions[(*path, key)]
                raise OndeError(
                    f"key '{key}' is written twice (first at line {first[0]})",
                    file=file,
                    line=line,
                    column=column,
                    hint="keep one of them: YAML would silently use only the last",
                )
            positions[(*path, key)] = _mark(key_node)
            result[key] = _build(value_node, (*path, key), positions, file, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            positions[(*path, index)] = _mark(item)
            items.append(_build(item, (*path, index), positions, file, constructor))
        return items
    return _scalar(node, file, constructor)


def _scalar(node: yaml.Node, file: Path, constructor: yaml.constructor.SafeConstructor) -> Any:
    """A scalar's value; a tag PyYAML's safe constructor refuses (``!!python/…``) or a value it cannot
    build (``2019-02-30`` read as a date) becomes an :class:`OndeError` at the node's place."""
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problem = f"unsupported YAML tag {node.tag}" if exc.problem and "tag" in exc.problem else "bad value"
        hint = "remove the tag (plain values only)"
    except (ValueError, OverflowError):
        problem = (
            "this value cannot be read (an impossible date such as 2019-02-30, or a tag that does not fit)"
        )
        hint = "correct it, or put it between quotes to make it text"
    line, column = _mark(node)
    raise OndeError(problem, file=file, line=line, column=column, hint=hint) from None
