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

With ``remember=True`` too (engine.rules, for a rule set remembered as valid), what a text gave is kept in
the user's cache (engine.cache), named by a digest of the text, of this module's code and of the installed
PyYAML: a later run on the same bytes reads it back without importing PyYAML (about a tenth of a small
school's ``plan``). Only successful loads are kept; an unreadable or foreign entry is ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import OndeError

# PyYAML is imported where used: a remembered text is read back from the cache without it
if TYPE_CHECKING:
    import yaml

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


def _c_loader() -> type[yaml.CSafeLoader] | None:
    """libyaml's composer when PyYAML was built with it, else None (the pure-Python composer only)."""
    import yaml

    return getattr(yaml, "CSafeLoader", None)


def load_located(
    path: Path, data: bytes | None = None, *, fast: bool = False, remember: bool = False
) -> Located:
    """Parse one YAML file; syntax errors and duplicate keys become :class:`OndeError` with a position.

    ``data`` is the file's content when the caller has read it already (the file is then not read);
    ``fast`` composes with libyaml when available (see the module's documentation for when it may), and
    ``remember`` (with ``fast``) keeps what the text gave in the user's cache, or reads it back from there.
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
    entry = _entry(text) if fast and remember else None
    if entry is not None:
        found = _recall(entry)
        if found is not None:
            return Located(found[0], found[1], path)
    import yaml

    node = _compose(text, path, fast)
    if node is None:
        raise OndeError(
            "the YAML file is empty", file=path, line=1, hint="write its content, or remove the file"
        )
    positions: dict[JsonPath, tuple[int, int]] = {(): _mark(node)}
    value = _build(node, (), positions, path, yaml.constructor.SafeConstructor())
    if entry is not None:
        _keep(entry, value, positions)
    return Located(value, positions, path)


@cache
def _code_key() -> bytes | None:
    """What, besides a text, decides what :func:`load_located` gives for it: this module's code and the
    installed PyYAML (where it is, its ``__init__``'s size and time); None when it cannot be told."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("yaml")
        if spec is None or spec.origin is None:
            return None
        stat = os.stat(spec.origin)
        own = Path(__file__).read_bytes()
    except (OSError, ImportError, ValueError):
        return None
    return hashlib.sha256(b"%d:%s|%d|%d|" % (len(own), own, stat.st_size, stat.st_mtime_ns)).digest() + (
        spec.origin.encode("utf-8", "surrogateescape")
    )


def _entry(text: str) -> Path | None:
    """The cache file for what a fast load of ``text`` gives, or None when there is no cache."""
    from engine.cache import cache_dir

    key = _code_key()
    folder = cache_dir("yaml") if key is not None else None
    if folder is None or key is None:
        return None
    digest = hashlib.sha256(key)
    digest.update(text.encode("utf-8", "surrogatepass"))
    return folder / digest.hexdigest()


def _recall(entry: Path) -> tuple[Any, dict[JsonPath, tuple[int, int]]] | None:
    """A remembered load's data and positions; None when there is none (or it cannot be read)."""
    try:
        value = pickle.loads(entry.read_bytes())
    except Exception:  # missing, truncated, or written by something else: load the text again
        return None
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict)):
        return None
    return value[0], value[1]


def _keep(entry: Path, value: Any, positions: dict[JsonPath, tuple[int, int]]) -> None:
    """Remember a load (written beside, then renamed: a concurrent run never reads half an entry)."""
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(pickle.dumps((value, positions), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, entry)
    except (OSError, pickle.PicklingError, TypeError, ValueError, RecursionError):
        partial.unlink(missing_ok=True)  # the cache is an optimisation only


def _compose(text: str, path: Path, fast: bool) -> yaml.Node | None:
    """The document's node tree (None when empty); a syntax error becomes an :class:`OndeError`."""
    import yaml

    fast_loader = _c_loader() if fast else None
    if fast_loader is not None:
        c_loader = None
        try:
            c_loader = fast_loader(text)
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
    import yaml

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
    import yaml

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
    import yaml

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
