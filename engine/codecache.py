"""Code that the standard library compiles at every start — the methods ``dataclasses`` writes for each
class, the regular expressions modules compile when imported — compiled once per user instead.

``@dataclass`` writes each method (``__init__``, ``__repr__``, ``__eq__``…) as Python source and
compiles it with ``exec`` when the class is created; ``typing`` compiles the text of every string
annotation it is given (``ForwardRef``, Jinja's signatures hold dozens) and ``namedtuple`` the source of
each class's ``__new__``; ``re.compile`` parses a pattern and compiles it to the matcher's code in
Python. For the forty-odd classes and the sixty-odd patterns a ``plan`` imports (its modules', Jinja's),
that was the largest fixed cost of a small school's plan after the interpreter's own start-up. While
a command imports its stages (:func:`remembered_code`), they look their input up in a file of the
user's cache (engine.cache) that holds what this very interpreter made of it, as Python keeps a
module's compiled code in its ``.pyc``: the code objects compiled from each source text, the
arguments each pattern was given to the matcher's constructor (``_sre.compile``, which checks them).
The same input always gives the same output, so the classes and patterns are exactly those made
without the cache; an input never seen is compiled as before and remembered. The file is named by the
interpreter's exact version; an unreadable, foreign or damaged file is ignored, and without a cache
nothing changes. Only imports (and ``plan``'s loading of its rules) run in the block: a pattern compiled
later may be made from a pupil's data, and nothing about pupils is ever stored.

The block also imports the modules of :data:`LAZY_ANNOTATIONS` (Jinja) compiled as if each began with
``from __future__ import annotations``: the hundreds of annotations of their signatures, which Python
evaluates when it defines each function (``t.Optional[t.Callable[..., t.Any]]``: typing's code, every
time) and no one reads, are kept as text. That module code is remembered in the same file, by its source
file's path, size and time (as a ``.pyc`` is); imported outside the block, they are Python's own.
"""

from __future__ import annotations
import __future__

import _sre
import collections
import contextlib
import dataclasses
import hashlib
import marshal
import os
import re
import sys
import typing
import zlib
from collections.abc import Callable, Iterator
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from pathlib import Path
from typing import Any

from engine.cache import cache_dir, write_entry

_MISSING = object()
_DEBUG = int(re.DEBUG)  # a plain int: ``flags & re.DEBUG`` goes through the enum's Python code
_CODE = type(compile("", "", "exec"))
#: a cache file: the CRC-32 of what follows (4 bytes, little-endian), then the marshalled entries. A check
#: against damage (a flipped bit, a torn write), as zip's; SHA-256 read a megabyte of code for no more
_CHECK = 4
#: the key of an expression's code (``eval`` mode) is its text after a NUL, which no source text that
#: compiles holds: it never names a statement's code (``exec`` mode, keyed by the text itself)
_EXPRESSION = "\0"
#: the key of a module's code (:data:`LAZY_ANNOTATIONS`) is its file's path, size, time and the
#: interpreter's optimisation level after a SOH, which no source text that compiles starts with either
_MODULE = "\1"
#: packages whose modules evaluate every annotation when imported (no ``from __future__ import
#: annotations``) and never read them: compiled in the block with that import (Jinja: about a third of
#: its import, ~3 % of a small school's cold ``plan``; see the module's documentation)
LAZY_ANNOTATIONS = ("jinja2",)
_ANNOTATIONS = __future__.annotations.compiler_flag
_FORMAT = 3  # of the entries: part of the file's name, so that a file of another layout is never read


def _cache_file() -> Path | None:
    folder = cache_dir("code")
    if folder is None:
        return None
    # compiled code is only valid for the interpreter (down to its build) and matcher that made it
    made_by = hashlib.sha256(f"{sys.version}|{sys.implementation.cache_tag}|{_sre.MAGIC}|{_FORMAT}".encode())
    return folder / f"code-{made_by.hexdigest()[:16]}.marshal"


def _read(path: Path) -> tuple[dict[str, Any], dict[tuple[Any, int], tuple[Any, ...]]]:
    """The remembered code objects (by source text) and pattern arguments (by pattern and flags)."""
    try:
        data = path.read_bytes()
        # a flipped bit could still unmarshal into a valid but different matcher: the check says not
        if zlib.crc32(data[_CHECK:]).to_bytes(_CHECK, "little") != data[:_CHECK]:
            return {}, {}
        texts, patterns = marshal.loads(data[_CHECK:])
    except (OSError, EOFError, ValueError, TypeError):
        return {}, {}
    if not (isinstance(texts, dict) and isinstance(patterns, dict)):
        return {}, {}
    texts = {k: v for k, v in texts.items() if isinstance(k, str) and isinstance(v, _CODE)}
    patterns = {k: v for k, v in patterns.items() if isinstance(k, tuple) and isinstance(v, tuple)}
    return texts, patterns


def _write(path: Path, entries: tuple[dict[str, Any], dict[tuple[Any, int], tuple[Any, ...]]]) -> None:
    with contextlib.suppress(ValueError):  # not marshallable: nothing is remembered
        data = marshal.dumps(entries)
        write_entry(path, zlib.crc32(data).to_bytes(_CHECK, "little") + data)


class _LazyAnnotationsLoader(SourceFileLoader):
    """A module's source file loaded with the code ``module_code`` gives for its path."""

    def __init__(self, fullname: str, path: str, module_code: Callable[[str], Any]) -> None:
        super().__init__(fullname, path)
        self.module_code = module_code

    def get_code(self, fullname: str) -> Any:
        return self.module_code(self.get_filename(fullname))


class _LazyAnnotationsFinder:
    """Finds the modules of :data:`LAZY_ANNOTATIONS` as Python finds them, to load those read from a
    source file with :class:`_LazyAnnotationsLoader`."""

    def __init__(self, module_code: Callable[[str], Any]) -> None:
        self.module_code = module_code

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name.partition(".")[0] not in LAZY_ANNOTATIONS:
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is not None and type(spec.loader) is SourceFileLoader and str(spec.origin).endswith(".py"):
            spec.loader = _LazyAnnotationsLoader(name, str(spec.origin), self.module_code)
        return spec


class _Recorder:
    """``_sre`` as ``re``'s compiler sees it while it compiles one pattern: the arguments of its
    ``_sre.compile`` call are kept."""

    def __init__(self) -> None:
        self.arguments: tuple[Any, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(_sre, name)

    def compile(self, *arguments: Any) -> Any:
        self.arguments = arguments
        return _sre.compile(*arguments)


@contextlib.contextmanager
def remembered_code() -> Iterator[None]:
    """Within the block, dataclasses created and patterns compiled reuse what is remembered for their
    input (see the module's documentation); inputs compiled for the first time are remembered at its
    end."""
    path = _cache_file()
    if path is None:
        yield
        return
    texts, patterns = _read(path)
    used_texts: dict[str, Any] = {}
    used_patterns: dict[tuple[Any, int], tuple[Any, ...]] = {}
    added = [0]

    def code_of(source: str, mode: str) -> Any:
        key = source if mode == "exec" else _EXPRESSION + source
        code = texts.get(key)
        if code is None:
            # dont_inherit: compiled as the standard library's own call compiles it, without this
            # module's ``from __future__ import annotations``
            code = compile(source, "<string>", mode, dont_inherit=True)
            added[0] += 1
        used_texts[key] = code
        return code

    def module_code(path: str) -> Any:
        status = os.stat(path)
        key = f"{_MODULE}{path}\0{status.st_size}\0{status.st_mtime_ns}\0{sys.flags.optimize}"
        code = texts.get(key)
        if code is None:
            with open(path, "rb") as handle:
                code = compile(handle.read(), path, "exec", _ANNOTATIONS, dont_inherit=True)
            added[0] += 1
        used_texts[key] = code
        return code

    def remembered_exec(source: Any, globals_: Any = None, locals_: Any = None) -> None:
        exec(code_of(source, "exec") if isinstance(source, str) else source, globals_, locals_)

    def remembered_eval(source: Any, globals_: Any = None, locals_: Any = None) -> Any:
        return eval(code_of(source, "eval") if isinstance(source, str) else source, globals_, locals_)

    def remembered_compile(
        source: Any, filename: Any, mode: Any, flags: int = 0, dont_inherit: bool = False, optimize: int = -1
    ) -> Any:
        if type(source) is str and filename == "<string>" and mode == "eval" and (flags, optimize) == (0, -1):
            return code_of(source, "eval")
        # typing has no future import: inheriting its flags adds none (dont_inherit is moot)
        return compile(source, filename, mode, flags, True, optimize)

    compiler = re._compiler  # type: ignore[attr-defined]
    plain_compile: Callable[..., Any] = compiler.compile

    def remembered_pattern(pattern: Any, flags: int = 0) -> Any:
        if type(pattern) not in (str, bytes) or type(flags) is not int or flags & _DEBUG:
            return plain_compile(pattern, flags)  # only what marshal writes as it is
        key = (pattern, flags)
        arguments = patterns.get(key)
        compiled = None
        if arguments is not None:
            with contextlib.suppress(Exception):  # a damaged entry: compiled as usual
                compiled = _sre.compile(*arguments)
        if compiled is None:
            recorder = _Recorder()
            compiler._sre = recorder
            try:
                compiled = plain_compile(pattern, flags)
            finally:
                compiler._sre = _sre
            if recorder.arguments is None:
                return compiled
            text, all_flags, code, *groups = recorder.arguments
            # the compiler's opcodes are int subclasses, which marshal does not write: plain ints
            arguments = (text, int(all_flags), [int(op) for op in code], *groups)
            added[0] += 1
        used_patterns[key] = arguments
        return compiled

    # a module's global is found before the builtin of that name: each module's calls, and only
    # theirs, go through the cache (typing's only compile is ForwardRef's, collections' only eval is
    # namedtuple's)
    patches = ((dataclasses, "exec", remembered_exec), (typing, "compile", remembered_compile))
    patches += ((collections, "eval", remembered_eval),)
    before = [getattr(module, name, _MISSING) for module, name, _ in patches]
    for module, name, replacement in patches:
        setattr(module, name, replacement)
    compiler.compile = remembered_pattern
    finder = _LazyAnnotationsFinder(module_code)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        compiler.compile = plain_compile
        for (module, name, _), value in zip(patches, before, strict=True):
            if value is _MISSING:
                delattr(module, name)
            else:
                setattr(module, name, value)
        if added[0]:
            # what no run uses any more (edited code) is dropped once it outweighs what this run used
            if len(texts) + len(patterns) + added[0] > 2 * (len(used_texts) + len(used_patterns)):
                _write(path, (used_texts, used_patterns))
            else:
                _write(path, ({**texts, **used_texts}, {**patterns, **used_patterns}))
