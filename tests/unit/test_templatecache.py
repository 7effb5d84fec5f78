"""Compiled templates kept by engine.templatecache render as freshly compiled ones, are read back
without compiling (one file for them all, read once per process), and are compiled again when the
template's source changed or the file is damaged."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment

import engine.templatecache as templatecache
from engine.templatecache import TEMPLATES_FILE, TemplateCode

SOURCE = (
    "{% for x in items %}{{ loop.index }}: {{ x | upper }}{% if not loop.last %}, {% endif %}{% endfor %}\n"
)


def _environment(folder: Path, source: str = SOURCE, name: str = "t.txt") -> Environment:
    """An environment of a new process: the file read again."""
    templatecache._ENTRIES.clear()
    return Environment(
        loader=DictLoader({name: source}), bytecode_cache=TemplateCode(folder / TEMPLATES_FILE)
    )


def _render(env: Environment, name: str = "t.txt") -> str:
    return env.get_template(name).render(items=["a", "b"])


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
    good = entry.read_bytes()
    for damaged in (
        b"",
        b"not marshal",
        good[:60],
        good[:-40],
        marshal.dumps(["a", "list"]),
        marshal.dumps({"key": ("checksum", "code, not bytes")}),
        marshal.dumps(
            {key: (checksum, b"\xff" + code[1:]) for key, (checksum, code) in marshal.loads(good).items()}
        ),
    ):
        entry.write_bytes(damaged)
        assert _render(_environment(tmp_path, changed)) == "1: a, 2: b"


def test_the_templates_of_every_environment_and_process_share_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each template compiled is added to the file (another process's entries kept), read once by a process
    whatever the environments that ask."""
    _render(_environment(tmp_path))
    templatecache._ENTRIES[tmp_path / TEMPLATES_FILE] = {}  # a process that read the file before: kept
    second = Environment(
        loader=DictLoader({"u.txt": "{{ items | length }}"}),
        bytecode_cache=TemplateCode(tmp_path / TEMPLATES_FILE),
    )
    assert _render(second, "u.txt") == "2"
    assert [p.name for p in tmp_path.iterdir()] == [TEMPLATES_FILE]
    assert len(marshal.loads((tmp_path / TEMPLATES_FILE).read_bytes())) == 2
    reads: list[Path] = []
    read = templatecache._read
    monkeypatch.setattr(templatecache, "_read", lambda path: reads.append(path) or read(path))
    first, other = _environment(tmp_path), _environment(tmp_path, "{{ items | length }}", "u.txt")
    templatecache._ENTRIES.clear()
    _never_compiled(first, monkeypatch)
    _never_compiled(other, monkeypatch)
    assert (_render(first), _render(other, "u.txt")) == ("1: A, 2: B", "2")
    assert reads == [tmp_path / TEMPLATES_FILE]
