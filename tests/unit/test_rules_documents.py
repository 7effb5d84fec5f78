"""The rule documents of a folder are those pathlib's glob finds, in the same order (engine.rules lists
them without compiling a pattern per suffix)."""

from __future__ import annotations

from pathlib import Path

from engine.rules import _documents


def test_the_documents_are_those_glob_finds(tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    (folder / "folder.yaml").mkdir(parents=True)
    for name in ("b.yaml", "a.yaml", ".yaml", ".hidden.yaml", "UPPER.YAML", "c.yml", "x.yml.bak", "z.yamlx"):
        (folder / name).write_text("id: x\n")
    (folder / "dangling.yaml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "a-file").write_text("")
    for sub in ("sources", "missing", "a-file"):
        expected = sorted((tmp_path / sub).glob("*.yaml")) + sorted((tmp_path / sub).glob("*.yml"))
        assert _documents(tmp_path, sub) == expected
    assert [p.name for p in _documents(tmp_path, "sources")][-1] == "c.yml"
