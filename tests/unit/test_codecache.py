"""Dataclasses made and patterns compiled while their code is remembered (engine.codecache) are those
made without: same behaviour, the code read back from the cache on the next run, a damaged cache file
ignored, nothing left patched after the block."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

import engine.codecache as codecache
from engine.cache import ENV_VAR, cache_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    cache_dir.cache_clear()
    yield tmp_path / "cache"
    cache_dir.cache_clear()


def _make() -> Any:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Card:
        """A card."""

        login: str
        classes: tuple[str, ...] = ()
        note: str | None = None

    return Card


def _behaves_as_a_dataclass(card_class: Any) -> None:
    card = card_class("a.b", ("CP",))
    assert card == card_class("a.b", ("CP",)) and card != card_class("a.c")
    assert hash(card) == hash(card_class("a.b", ("CP",)))
    assert repr(card).endswith("Card(login='a.b', classes=('CP',), note=None)")
    assert dataclasses.replace(card, note="x").note == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.login = "c"  # type: ignore[misc]
    assert card_class.__init__.__annotations__["return"] is None  # no future import inherited


#: patterns of every kind the matcher knows: groups, names, flags, bytes, look-arounds, classes
PATTERNS: list[tuple[Any, int]] = [
    (r"(?P<Y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})", 0),
    (r"\b(?:ine|id):[^↔]*?(?= ↔)", 0),
    (r"caf[ée]\s+(\w+)", re.IGNORECASE),
    (rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]", 0),
    (r"^\s*(?:national\s+)?(?:var)?char\s*\(\s*(\d+)\s*\)", re.IGNORECASE | re.VERBOSE),
    ("[\x00-\x08\u200b-\u200f\U0001d173-\U0001d17a]", 0),
]
TEXTS: list[Any] = [
    "2026-11-29 x",
    "id:Dupont|Léa ↔ 12",
    "CAFÉ  crème",
    b"\xc3\xa9t\xc3\xa9",
    " Char( 40 )",
    "a\u200bb",
]


def _compile_all() -> list[re.Pattern[Any]]:
    re.purge()  # re's own memo would answer before the compiler is asked
    return [re.compile(pattern, flags) for pattern, flags in PATTERNS]


def _match_all(patterns: list[re.Pattern[Any]]) -> list[Any]:
    found = []
    for pattern in patterns:
        for text in TEXTS:
            if isinstance(text, str) == isinstance(pattern.pattern, str):
                found.extend((m.span(), m.groups(), m.groupdict()) for m in pattern.finditer(text))
        found.append((pattern.pattern, pattern.flags, pattern.groups, dict(pattern.groupindex)))
    return found


def test_the_code_is_remembered_and_read_back(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _match_all(_compile_all())
    with codecache.remembered_code():
        first = _make()
        remembered = _compile_all()
    _behaves_as_a_dataclass(first)
    assert _match_all(remembered) == plain
    assert len(list(cache.rglob("code-*.marshal"))) == 1

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(codecache, "compile", no_compiling, raising=False)
    monkeypatch.setattr(codecache, "_Recorder", no_compiling)
    with codecache.remembered_code():
        again = _make()
        read_back = _compile_all()
    _behaves_as_a_dataclass(again)
    assert _match_all(read_back) == plain
    assert not hasattr(dataclasses, "exec")  # the builtin exec again after the block
    assert re._compiler.compile is codecache.re._compiler.compile  # type: ignore[attr-defined]
    assert re._compiler._sre is codecache._sre  # type: ignore[attr-defined]


def test_a_bad_pattern_is_refused_as_before(cache: Path) -> None:
    with codecache.remembered_code(), pytest.raises(re.error):
        re.compile("(unclosed")
    assert re._compiler._sre is codecache._sre  # type: ignore[attr-defined]


def test_a_damaged_cache_file_is_ignored(cache: Path) -> None:
    path = codecache._cache_file()
    assert path is not None
    path.write_bytes(b"\x00not marshal")
    with codecache.remembered_code():
        card_class = _make()
    _behaves_as_a_dataclass(card_class)
    assert codecache._read(path)[0]  # rewritten with what this block compiled


def test_a_file_changed_after_it_was_written_is_ignored(cache: Path) -> None:
    """A changed byte may still unmarshal (an opcode of a pattern's code): its digest refuses it."""
    path = codecache._cache_file()
    assert path is not None
    with codecache.remembered_code():
        _compile_all()
    data = bytearray(path.read_bytes())
    assert codecache._read(path)[1]
    data[-8] ^= 1
    path.write_bytes(bytes(data))
    assert codecache._read(path) == ({}, {})


def test_without_a_cache_nothing_is_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    cache_dir.cache_clear()
    try:
        with codecache.remembered_code():
            assert not hasattr(dataclasses, "exec")
            card_class = _make()
    finally:
        cache_dir.cache_clear()
    _behaves_as_a_dataclass(card_class)


def test_a_plan_from_the_command_line_remembers_its_stages_code(tmp_path: Path) -> None:
    """Two runs of ``plan``: the first remembers the code, the second finds every class's and pattern's
    code remembered (the file unchanged)."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.helpers import REPO

    db = tmp_path / "sacoche.db"
    shutil.copy(REPO / "examples" / "sacoche-ecole-des-tilleuls.db", db)
    env = {**os.environ, "PYTHONPATH": str(REPO), ENV_VAR: str(tmp_path / "cache")}
    env.pop("ONDE_SACOCHE_DEBUG", None)

    def plan(out: str) -> None:
        args = [str(REPO / "examples" / "onde2-ecole-des-tilleuls.csv"), "--db", f"sqlite:///{db}"]
        command = [sys.executable, "-m", "engine.cli", "plan", *args, "--out", str(tmp_path / out)]
        done = subprocess.run([*command, "--today", "2026-11-29"], env=env, capture_output=True)
        assert done.returncode in (0, 3), done.stderr

    plan("first")
    [remembered] = (tmp_path / "cache").rglob("code-*.marshal")
    texts, patterns = codecache._read(remembered)
    assert any("__create_fn__" in text for text in texts) and patterns
    before = remembered.read_bytes()
    plan("second")
    assert remembered.read_bytes() == before


def test_entries_no_run_uses_are_dropped_once_they_outweigh_the_run_s(cache: Path) -> None:
    path = codecache._cache_file()
    assert path is not None
    stale = {f"x = {n}": compile(f"x = {n}", "<string>", "exec") for n in range(3)}
    codecache._write(path, (stale, {}))
    with codecache.remembered_code():
        _make()
    texts, _ = codecache._read(path)
    assert set(stale) <= set(texts)  # a few: kept (another command may use them)
    many = {f"x = {n}": compile(f"x = {n}", "<string>", "exec") for n in range(100)}
    codecache._write(path, (many, {}))
    with codecache.remembered_code():
        _make()
    texts, _ = codecache._read(path)
    assert texts and not set(many) & set(texts)  # outweighing this run's: dropped
    _behaves_as_a_dataclass(_make())


def test_a_damaged_pattern_entry_is_compiled_as_usual(cache: Path) -> None:
    path = codecache._cache_file()
    assert path is not None
    pattern, flags = PATTERNS[0]
    codecache._write(path, ({}, {(pattern, flags): (pattern, flags, [999_999, 1, 2], 0, {}, (None,))}))
    with codecache.remembered_code():
        compiled = _compile_all()
    assert _match_all(compiled) == _match_all(_compile_all())
    assert codecache._read(path)[1][(pattern, flags)][2] != [999_999, 1, 2]  # remembered right this time


def test_annotations_and_named_tuples_are_remembered_too(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """typing's compile of a string annotation and namedtuple's eval of ``__new__``: the same code read
    back, nothing compiled the second time, the builtins found again after the block."""
    import collections
    import typing

    def make() -> tuple[Any, Any]:
        ref = typing.ForwardRef("dict[str, tuple[int, ...]] | None")
        point = collections.namedtuple("Point", "x y")
        return ref, point

    with codecache.remembered_code():
        ref, point = make()
    assert ref._evaluate({}, {}, frozenset()) == (dict[str, tuple[int, ...]] | None)
    assert point(1, 2) == (1, 2) and point(1, 2).y == 2
    path = codecache._cache_file()
    assert path is not None
    texts = codecache._read(path)[0]
    assert "\0dict[str, tuple[int, ...]] | None" in texts  # an expression's code, keyed apart
    assert any(text.startswith("\0lambda _cls, x, y:") for text in texts)

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(codecache, "compile", no_compiling, raising=False)
    with codecache.remembered_code():
        again, point_again = make()
    assert again.__forward_code__.co_code == ref.__forward_code__.co_code
    assert point_again(3, 4).x == 3
    assert not hasattr(typing, "compile") and not hasattr(collections, "eval")


def test_a_package_s_annotations_are_kept_as_text_and_its_code_remembered(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module of a :data:`~engine.codecache.LAZY_ANNOTATIONS` package imported in the block: compiled as
    if it began with ``from __future__ import annotations`` (an annotation naming nothing is no error),
    its code read back on the next import, compiled again once its file changes; outside the block, and
    for other packages, Python's own import."""
    import importlib
    import sys

    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text("def f(x: nowhere) -> None:\n    return x\n", encoding="utf-8")
    (package / "sub.py").write_text("import typing\nclass T(typing.NamedTuple):\n    a: nowhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(codecache, "LAZY_ANNOTATIONS", ("lazypkg",))

    def fresh_import() -> tuple[Any, Any]:
        for name in ("lazypkg.sub", "lazypkg"):
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        return importlib.import_module("lazypkg"), importlib.import_module("lazypkg.sub")

    with pytest.raises(NameError):
        fresh_import()  # Python's own import evaluates the annotation
    with codecache.remembered_code():
        module, sub = fresh_import()
    assert module.f.__annotations__ == {"x": "nowhere", "return": "None"} and module.f(3) == 3
    assert sub.T(1).a == 1
    assert all(not isinstance(finder, codecache._LazyAnnotationsFinder) for finder in sys.meta_path)

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")

    with monkeypatch.context() as patched:
        patched.setattr(codecache, "compile", no_compiling, raising=False)
        with codecache.remembered_code():
            module, _ = fresh_import()
    assert module.f(4) == 4
    (package / "__init__.py").write_text("def f(x: nowhere) -> None:\n    return 2 * x\n", encoding="utf-8")
    with codecache.remembered_code():
        module, _ = fresh_import()
    assert module.f(4) == 8
    for name in ("lazypkg.sub", "lazypkg"):
        sys.modules.pop(name, None)


def test_jinja_with_its_annotations_kept_as_text_renders_the_same_files(tmp_path: Path) -> None:
    """A fresh process whose stages are imported in the block (Jinja's annotations kept as text, its code
    read back the second time) renders a plan directory byte for byte as Jinja imported as usual does."""
    import json
    import os
    import random
    import shutil
    import subprocess
    import sys
    from datetime import date

    from engine.pipeline import make_plan, render_outputs
    from tests.helpers import REPO

    usual = tmp_path / "usual"
    make_plan(
        REPO / "examples" / "onde2-ecole-des-tilleuls.csv",
        f"sqlite:///{REPO / 'examples' / 'sacoche-ecole-des-tilleuls.db'}",
        usual,
        today=date(2026, 11, 29),
        rng=random.Random(20261129),
    )
    render_outputs(usual, ("mysql", "sqlite"))
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from engine.codecache import remembered_code\n"
        "with remembered_code():\n"
        "    from engine.pipeline import render_outputs\n"
        "import jinja2.environment as environment\n"
        "render_outputs(Path(sys.argv[1]), ('mysql', 'sqlite'))\n"
        "print(json.dumps([type(environment.__loader__).__name__,"
        " environment.Environment.__init__.__annotations__['block_start_string']]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), ENV_VAR: str(tmp_path / "cache")}
    remembered = []
    for run in ("first", "second"):
        lazy = tmp_path / run
        shutil.copytree(usual, lazy)
        for rendered in [lazy / "sql", *lazy.glob("*.html"), *lazy.glob("*.md")]:
            shutil.rmtree(rendered) if rendered.is_dir() else rendered.unlink()
        done = subprocess.run(
            [sys.executable, "-c", script, str(lazy)], env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(done.stdout) == ["_LazyAnnotationsLoader", "str"]
        files = sorted(p.relative_to(lazy) for p in lazy.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(usual) for p in usual.rglob("*") if p.is_file())
        assert [(lazy / f).read_bytes() for f in files] == [(usual / f).read_bytes() for f in files]
        remembered += [p.read_bytes() for p in (tmp_path / "cache").rglob("code-*.marshal")]
    assert len(remembered) == 2 and remembered[0] == remembered[1]  # the second run compiled nothing
