"""The db map of ``batch`` (engine.batch_map): a map written the plain way is read without the YAML
parser, to the same schools and places; any other text is read by the parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.batch_map import _entries_from_simple_yaml, _entries_from_yaml, read_db_map
from engine.errors import OndeError

SIMPLE = [
    'schools:\n  - export: "a.csv"\n    db: "sqlite:///a.db"\n    out: "a"\n',
    "# map\n\nschools:  # the list\n- export: a.csv\n  db: sqlite:////abs/a.db\n"
    "  # a comment\n- db: 'mysql://u@h/b?option_file=~/.b.cnf' # b\n  export: \"sub/b é.xlsx\"\n",
    "schools:\n    - export: /x/ecole_a.csv\n      out: 'ecole-a'\n      db: \"sqlite:///a.db\"\n\n",
]
OTHER = [
    "schools:\n  - export: a.csv\n    db: sqlite:///a.db\n    out: 2026\n",  # an int for YAML
    "schools:\n  - export: a.csv\n    db: sqlite:///a.db\n    out: yes\n",  # a boolean
    "schools:\n  - export: a.csv\n    db: sqlite:///a.db\n    out: null\n",
    "schools:\n  - export: a.csv\n    db:\tsqlite:///a.db\n",  # a tab: PyYAML and libyaml differ
    "schools:\n  - export: a.csv\n    export: b.csv\n    db: sqlite:///a.db\n",  # written twice
    "schools:\n  - export: a.csv\n    db: sqlite:///a.db\n      .more\n",  # a value on two lines
    "schools:\n  - export: a.csv\n   db: sqlite:///a.db\n",  # another indentation
    'schools:\n  - export: "a\\u00e9.csv"\n    db: sqlite:///a.db\n',  # an escape
    "schools:\n  - export: a.csv\n    db: sqlite:///a.db\n    dir: x\n",  # an unknown key
    "schools:\n  - export: a.csv\n    db: sqlite:///a.db\nother: 1\n",
    "a.csv: {db: 'sqlite:///a.db', out: a}\n",
    "schools:\n",
    "\ufeffschools:\n  - export: a.csv\n    db: sqlite:///a.db\n",
    "schools:\n  - export: a.csv:\n    db: sqlite:///a.db\n",
]


@pytest.mark.parametrize("text", SIMPLE)
def test_a_plain_map_reads_as_the_yaml_parser_reads_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "db-map.yaml"
    path.write_text(text, encoding="utf-8")
    assert _entries_from_simple_yaml(text) == _entries_from_yaml(path)


@pytest.mark.parametrize("text", OTHER)
def test_any_other_map_is_left_to_the_yaml_parser(text: str) -> None:
    assert _entries_from_simple_yaml(text) is None


def test_a_mistake_in_a_plain_map_is_told_as_the_yaml_parser_places_it(tmp_path: Path) -> None:
    path = tmp_path / "db-map.yaml"
    path.write_text("schools:\n  - export: a.csv\n    db: sqlite:///a.db\n  - export: b.csv\n", "utf-8")
    assert _entries_from_simple_yaml(path.read_text(encoding="utf-8")) is not None
    with pytest.raises(OndeError) as caught:
        read_db_map(path, tmp_path)
    assert f"{path}:4:5: 'b.csv': 'db' (the SACoche database URL) is missing" in str(caught.value)
    (tmp_path / "x.csv").write_text("", encoding="utf-8")
    path.write_text('schools:\n  - export: x.csv\n    db: "sqlite:///x.db"\n', encoding="utf-8")
    (job,) = read_db_map(path, tmp_path)
    assert (job.name, job.export, job.source) == ("x", tmp_path / "x.csv", f"{path}:2")
    assert job.db == f"sqlite:///{(tmp_path / 'x.db').resolve()}"
