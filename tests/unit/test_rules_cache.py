"""Rule sets remembered as valid (engine.rules + engine.cache), and YAML read by libyaml (engine.yamlpos)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLES, REPO, copy_rules

import engine.rules
from engine import __version__
from engine.cache import ENV_VAR, cache_dir
from engine.errors import OndeError, OndeErrorGroup
from engine.read import read_export
from engine.rules import check_rules, load_rules
from engine.yamlpos import load_located

EXAMPLE = EXAMPLES / "onde2-ecole-des-tilleuls.csv"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache root for this test; yields the folder where rule sets are remembered."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    cache_dir.cache_clear()
    yield tmp_path / "cache" / __version__ / "rules"
    cache_dir.cache_clear()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts schema validations: one entry per rule directory checked."""
    calls: list[str] = []
    schema = engine.rules._schema

    def counting(directory: Path, kind: str, data: bytes | None = None) -> Any:
        if kind == "ruleset":
            calls.append(str(directory))
        return schema(directory, kind, data)

    monkeypatch.setattr(engine.rules, "_schema", counting)
    return calls


def markers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _located(errors: list[OndeError]) -> list[tuple[str | None, int | None, int | None, str]]:
    return [(e.file, e.line, e.column, e.message) for e in errors]


def test_remembered_rules_equal_checked_rules(tmp_path: Path, cache: Path, checks: list[str]) -> None:
    directory = copy_rules(tmp_path)
    checked, errors = check_rules(directory)  # `rules check`: always checks, remembers nothing
    assert errors == [] and markers(cache) == [] and len(checks) == 1
    first = load_rules(directory)
    assert len(checks) == 2 and len(markers(cache)) == 1
    second = load_rules(directory)
    assert len(checks) == 2  # not checked again
    assert first == second == checked
    assert second.full_version == checked.full_version
    assert read_export(EXAMPLE, second).pupils == read_export(EXAMPLE, checked).pupils


def test_remembered_rules_skip_jsonschema(tmp_path: Path, cache: Path) -> None:
    """A fresh process loading remembered rules neither imports jsonschema nor checks anything."""
    script = (
        "import json, sys\n"
        "from engine.rules import load_rules\n"
        "rules = load_rules()\n"
        "print(json.dumps({'jsonschema': 'jsonschema' in sys.modules, 'version': rules.full_version}))\n"
    )

    def run() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
            env=os.environ,
        )
        return json.loads(done.stdout)

    cold, warm = run(), run()
    assert cold["jsonschema"] is True and warm["jsonschema"] is False
    assert cold["version"] == warm["version"] == load_rules().full_version
    assert len(markers(cache)) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    required: true\n", "    requird: true\n"),  # schema error
        ("{truncate: 8}", "{truncate: vingt}"),  # operation argument
        ("kind: pupils\n", "kind: pupils\nkind: other\n"),  # duplicate key
        ("steps: [remove_controls, clean_spaces, upper]", "steps: [remove_controls, clean_spaces, upper"),
    ],
)
def test_edited_rule_after_remembered_load_reports_its_error(
    tmp_path: Path, cache: Path, checks: list[str], old: str, new: str
) -> None:
    directory = copy_rules(tmp_path)
    load_rules(directory)
    remembered = markers(cache)
    source = directory / "sources" / "onde2-eleves.yaml"
    original = source.read_text(encoding="utf-8")
    _edit(source, old, new)
    with pytest.raises(OndeErrorGroup) as caught:
        load_rules(directory)
    reported = _located(caught.value.errors)
    assert reported == _located(check_rules(directory)[1])  # exactly what checking reports
    assert reported and all(f == str(source) and line and column for f, line, column, _ in reported)
    assert markers(cache) == remembered  # a failure is never remembered
    with pytest.raises(OndeErrorGroup):
        load_rules(directory)  # and is reported again
    source.write_text(original, encoding="utf-8")
    before = len(checks)
    assert load_rules(directory).sources["onde2-eleves"].fields["prenom"].required
    assert len(checks) == before  # the original bytes are still remembered


def test_any_rule_or_schema_byte_counts(tmp_path: Path, cache: Path) -> None:
    directory = copy_rules(tmp_path)
    load_rules(directory)
    _edit(directory / "schema" / "table.schema.json", '"title": ', '"description": "edited", "title": ')
    load_rules(directory)
    (directory / "tables" / "sexe.yaml").rename(directory / "tables" / "sexe.yml")
    load_rules(directory)
    assert len(markers(cache)) == 3


def test_cache_off_checks_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checks: list[str]
) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    cache_dir.cache_clear()
    try:
        directory = copy_rules(tmp_path)
        assert load_rules(directory) == load_rules(directory)
        assert len(checks) == 2
    finally:
        cache_dir.cache_clear()


def test_not_remembered_unless_libyaml_reads_the_same(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_bytes("a:\n\ufeff  b: 1\n".encode())  # PyYAML: a stray BOM starts a key; libyaml skips it
    plain = tmp_path / "plain.yaml"
    plain.write_bytes(b"a:\n  b: 1\n")
    files = {odd: odd.read_bytes(), plain: plain.read_bytes()}
    assert load_located(odd).data != load_located(odd, fast=True).data
    assert not engine.rules._libyaml_agrees([load_located(odd)], files)
    assert engine.rules._libyaml_agrees([load_located(plain)], files)

    monkeypatch.setattr(engine.rules, "_libyaml_agrees", lambda docs, files: False)
    load_rules(copy_rules(tmp_path))
    assert markers(cache) == []


def _marker(cache: Path) -> Path:
    (name,) = markers(cache)
    return cache / name


def test_a_remembered_rule_set_is_compiled_from_its_marker_without_yaml(tmp_path: Path, cache: Path) -> None:
    """The marker holds the documents' data: a fresh process compiles them without reading any YAML nor
    importing the checking code, into the very rules a check gives."""
    directory = copy_rules(tmp_path)
    checked, _ = check_rules(directory)
    load_rules(directory)
    assert _marker(cache).stat().st_size > 0
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from engine.rules import load_rules\n"
        f"rules = load_rules(Path({str(directory)!r}))\n"
        "print(json.dumps({'modules': [m for m in sys.modules if 'yaml' in m or m == 'engine.rules_check'],"
        " 'version': rules.full_version}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True, env=os.environ
    )
    found = json.loads(done.stdout)
    assert found == {"modules": [], "version": checked.full_version}
    cache_dir.cache_clear()
    recalled = load_rules(directory)  # the same load in this process: the rules a check gives
    assert recalled == checked and _plain(recalled) == _plain(checked)


def _plain(rules: Any) -> str:
    """What ``==`` leaves out of a rule set: types of the plain values (1, 1.0, True), the steps."""
    steps = {
        (source, name): [
            (op.name, step(value, rules.context)) for op, step in rule.steps for value in ("", "x")
        ]
        for source, rules_of in rules.sources.items()
        for name, rule in rules_of.fields.items()
        if not any(op.name in ("map", "date", "pattern", "shorten") for op, _ in rule.steps)
    }
    return repr((rules.tables, rules.policy, steps))


def _foreign(marker: Path) -> bytes:
    """A marker's content with a valid digest whose documents are not those of the rules it names."""
    import hashlib
    import marshal

    _, name, documents = marshal.loads(marker.read_bytes()[32:])
    documents["tables/sexe.yaml"] = ["not", "a", "table"]
    payload = marshal.dumps((1, name, documents))
    return hashlib.sha256(payload).digest() + payload


def _other_name(marker: Path) -> bytes:
    import hashlib
    import marshal

    _, _, documents = marshal.loads(marker.read_bytes()[32:])
    payload = marshal.dumps((1, "0" * 64, documents))
    return hashlib.sha256(payload).digest() + payload


@pytest.mark.parametrize(
    "damage",
    [
        lambda marker: b"",  # the empty marker of an older version
        lambda marker: marker.read_bytes()[:-1] + bytes([marker.read_bytes()[-1] ^ 1]),  # a flipped bit
        lambda marker: marker.read_bytes()[:100],  # truncated
        lambda marker: b"\0" * 32 + b"garbage",
        _foreign,
        _other_name,
    ],
    ids=["empty", "flipped", "truncated", "garbage", "foreign", "other-name"],
)
def test_a_damaged_or_foreign_marker_is_read_as_the_yaml_files_and_rewritten(
    tmp_path: Path, cache: Path, checks: list[str], damage: Callable[[Path], bytes]
) -> None:
    directory = copy_rules(tmp_path)
    checked, _ = check_rules(directory)
    load_rules(directory)
    marker = _marker(cache)
    marker.write_bytes(damage(marker))
    before = len(checks)
    rules = load_rules(directory)
    assert rules == checked and _plain(rules) == _plain(checked)
    assert rules.full_version == checked.full_version
    assert read_export(EXAMPLE, rules).pupils == read_export(EXAMPLE, checked).pupils
    assert len(checks) == before  # still remembered as valid: read with libyaml, not checked again
    resolved = directory.resolve()  # and its documents remembered again
    assert engine.rules._recalled_rules(resolved, engine.rules._rule_files(resolved), marker) == checked


def test_documents_marshal_cannot_write_leave_the_marker_empty(tmp_path: Path, cache: Path) -> None:
    import datetime

    directory = copy_rules(tmp_path)
    load_rules(directory)
    marker = _marker(cache)
    marker.unlink()
    doc = engine.rules._Recalled({"when": datetime.date(2026, 11, 29)}, directory / "ruleset.yaml")
    engine.rules._remember(marker, directory, [doc])
    assert marker.read_bytes() == b""  # "valid", without documents
    engine.rules._remember(marker, directory, [doc])  # not written again at every load
    assert marker.read_bytes() == b""


def test_the_test_session_never_caches_in_the_home_directory() -> None:
    folder = cache_dir("rules")
    assert folder is not None
    assert not folder.resolve().is_relative_to((Path.home() / ".cache").resolve())


# ------------------------------------------------------------------------------------ yamlpos


def _yaml_files() -> list[Path]:
    return sorted((REPO / "rules").rglob("*.yaml"))


def _outcome(load: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        doc = load()
    except OndeError as exc:
        return ("error", exc.file, exc.line, exc.column, exc.message)
    return ("ok", repr(doc.data), doc.positions)


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_libyaml_gives_the_same_data_and_positions(path: Path) -> None:
    assert _outcome(lambda: load_located(path, fast=True)) == _outcome(lambda: load_located(path))


@pytest.mark.parametrize(
    "text",
    [
        "a: {é: 1, b: [x, 'y', \"z\"]}\nc: |\n  line\n  line\nd: >-\n  folded\n  text\ne: &x 1\nf: *x\n",
        "\ufeffid: x\r\nkind: map\r\nvalues:\r\n  M: M\r\n",
        "- 1\n- 1.5\n- true\n- ~\n- 2024-01-02\n- '007'\n",
    ],
)
def test_libyaml_same_on_snippets(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(text.encode("utf-8"))
    assert _outcome(lambda: load_located(path, fast=True)) == _outcome(lambda: load_located(path))
    assert _outcome(lambda: load_located(path, path.read_bytes())) == _outcome(lambda: load_located(path))


@pytest.mark.parametrize(
    "text",
    [
        "a: [b, c\n",  # unclosed flow sequence
        "a: 1\n b: 2\n",  # bad indentation
        "a: 1\n---\nb: 2\n",  # two documents
        "a: 'open\n",
    ],
)
def test_syntax_errors_are_pyyaml_s_even_when_fast(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    fast = _outcome(lambda: load_located(path, fast=True))
    assert fast[0] == "error" and fast == _outcome(lambda: load_located(path))
