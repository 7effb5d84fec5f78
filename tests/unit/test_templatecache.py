"""Compiled templates kept by engine.templatecache render as freshly compiled ones, are read back
without compiling, and are compiled again when the template's source changed or the entry is damaged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment

from engine.templatecache import TemplateCode

SOURCE = (
    "{% for x in items %}{{ loop.index }}: {{ x | upper }}{% if not loop.last %}, {% endif %}{% endfor %}\n"
)


def _environment(folder: Path, source: str = SOURCE) -> Environment:
    return Environment(loader=DictLoader({"t.txt": source}), bytecode_cache=TemplateCode(folder))


def _render(env: Environment) -> str:
    return env.get_template("t.txt").render(items=["a", "b"])


def _never_compiled(env: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(env, "compile", compile_)


def test_a_kept_template_is_read_back_and_renders_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = Environment(loader=DictLoader({"t.txt": SOURCE})).get_template("t.txt").render(items=["a", "b"])
    assert _render(_environment(tmp_path)) == plain == "1: A, 2: B"
    (entry,) = tmp_path.iterdir()
    assert entry.stat().st_mode & 0o777 == 0o600
    again = _environment(tmp_path)
    _never_compiled(again, monkeypatch)
    assert _render(again) == plain


def test_a_changed_source_or_a_damaged_entry_is_compiled_again(tmp_path: Path) -> None:
    _render(_environment(tmp_path))
    (entry,) = tmp_path.iterdir()
    changed = SOURCE.replace("upper", "lower")
    assert _render(_environment(tmp_path, changed)) == "1: a, 2: b"
    for damaged in (
        b"",
        b"no newline",
        entry.read_bytes()[:60],
        entry.read_bytes().split(b"\n")[0] + b"\nxx",
    ):
        entry.write_bytes(damaged)
        assert _render(_environment(tmp_path, changed)) == "1: a, 2: b"
