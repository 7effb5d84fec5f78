"""The staging directory a plan is written to before publish: never left behind; tighten_tree's modes."""

from __future__ import annotations

import errno
import os
import random
import stat
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers import EXAMPLES

import engine.pipeline as pipeline
from engine.errors import OndeError
from engine.plan import privatefiles
from engine.plan.privatefiles import remove_staging, tighten_tree

EXPORT = EXAMPLES / "onde2-ecole-des-tilleuls.csv"
DB = f"sqlite:///{EXAMPLES / 'sacoche-ecole-des-tilleuls.db'}"


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_a_plan_leaves_no_staging_directory(tmp_path: Path, temp_root: Path) -> None:
    out = tmp_path / "plan"
    for _ in range(2):  # the second one replaces every file of the first
        pipeline.make_plan(EXPORT, DB, out, today=date(2026, 11, 29), force=True, rng=random.Random(7))
        assert list(temp_root.iterdir()) == []
    assert (out / "sql" / "sqlite" / "apply.sql").is_file()


def test_a_failed_plan_leaves_no_staging_directory(
    tmp_path: Path, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OndeError("no report")

    monkeypatch.setattr(pipeline, "render_reports", refuse)  # after plan.json and the scripts
    with pytest.raises(OndeError, match="no report"):
        pipeline.make_plan(EXPORT, DB, tmp_path / "plan", today=date(2026, 11, 29))
    assert list(temp_root.iterdir()) == []
    assert not (tmp_path / "plan" / "plan.json").exists()


def test_remove_staging_removes_what_publish_did_not_empty(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "sql" / "mysql").mkdir(parents=True)
    (staging / "other").mkdir()
    (staging / "other" / "left.txt").write_text("x")
    remove_staging(staging, {(), ("sql", "mysql")})
    assert not staging.exists()
    (staging / "sql").mkdir(parents=True)
    remove_staging(staging, {("sql",)})
    assert not staging.exists()


def test_tighten_tree_sets_only_the_plan_files_modes_and_follows_no_link(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    (root / "sql" / "mysql").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    for name in ("plan.json", "rapport.html", ".plan.json.tmp", "notes.txt", "sql/mysql/apply.sql"):
        (root / name).write_text("x")
        (root / name).chmod(0o644)
    (root / "identifiants.csv").symlink_to(outside)
    (root / "sql" / "link.sql").symlink_to(outside)
    (root / "sql" / "mysql").chmod(0o755)
    tighten_tree(root)

    def mode(path: Path) -> int:
        return stat.S_IMODE(os.lstat(path).st_mode)

    assert mode(root) == 0o700 and mode(root / "sql") == 0o700 and mode(root / "sql" / "mysql") == 0o700
    for name in ("plan.json", "rapport.html", ".plan.json.tmp", "sql/mysql/apply.sql"):
        assert mode(root / name) == 0o600, name
    assert mode(root / "notes.txt") == 0o644  # not a plan's file
    assert mode(outside) == 0o644  # reached through links only


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_a_new_out_is_the_staging_directory_renamed_whole(tmp_path: Path, temp_root: Path) -> None:
    out = tmp_path / "not" / "yet" / "plan"  # nor its parents
    old = os.umask(0o022)
    try:
        pipeline.make_plan(EXPORT, DB, out, today=date(2026, 11, 29), rng=random.Random(7))
    finally:
        os.umask(old)
    assert list(temp_root.iterdir()) == []
    modes = _modes(out)
    assert modes["."] == modes["sql"] == modes["sql/sqlite"] == modes["sql/mysql"] == 0o700
    assert {name: mode for name, mode in modes.items() if mode != 0o700} == {
        name: 0o600 for name in modes if "." in name.strip(".")
    }
    assert (out / "sql" / "sqlite" / "apply.sql").is_file() and (out / "rapport.html").is_file()
    assert stat.S_IMODE((tmp_path / "not").stat().st_mode) == 0o755  # as mkdir(parents=True) made them


def test_publish_moves_the_files_when_the_whole_rename_is_refused(
    tmp_path: Path, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = privatefiles.make_staging()
    (staging / "sql" / "mysql").mkdir(parents=True)
    privatefiles.write_chunks_atomic(staging / "plan.json", ["{}"])
    privatefiles.write_chunks_atomic(staging / "sql" / "mysql" / "apply.sql", ["--"])
    rename = os.rename

    def other_file_system(source: str | Path, destination: str | Path) -> None:
        if Path(source) == staging:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        rename(source, destination)

    monkeypatch.setattr(privatefiles.os, "rename", other_file_system)
    out = tmp_path / "plan"
    emptied = privatefiles.publish_files(staging, out, ["rapport.html"])
    privatefiles.remove_staging(staging, emptied)
    assert list(temp_root.iterdir()) == []
    assert (out / "plan.json").read_text() == "{}" and (out / "sql" / "mysql" / "apply.sql").is_file()
    assert set(_modes(out).values()) == {0o700, 0o600}


def test_a_staged_file_is_written_under_its_own_name_and_removed_on_failure(temp_root: Path) -> None:
    staging = privatefiles.make_staging()
    path = staging / "rapport.html"
    assert privatefiles.write_chunks_atomic(path, ["<p>"], rename=False) == path  # no temporary name
    assert [p.name for p in staging.iterdir()] == ["rapport.html"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def failing() -> Iterator[str]:
        yield "<p>"
        raise ValueError("no")

    with pytest.raises(ValueError):
        privatefiles.write_chunks_atomic(path, failing())
    assert list(staging.iterdir()) == []
    privatefiles.remove_staging(staging)
    assert list(temp_root.iterdir()) == []
    # once removed, a directory of that name is no staging any more: writes are renamed into place
    staging.mkdir()
    privatefiles.write_chunks_atomic(path, ["<p>"], rename=False)
    assert [p.name for p in staging.iterdir()] == [".rapport.html.tmp"]
