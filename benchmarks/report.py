"""docs/performance.md from the measurements of one run: the targets, then each case's section.

Each case module gives its own section (``markdown``) and targets (``targets``: value, target, met, by
how much, and why when missed); this module puts them in order, with the machine, the peak RSS of every
process (e) and the notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import apply_sql, batch, changed_heavy, large, pandas_diff, startup, throughput
from benchmarks.text import find_stage, mib, seconds, verdict


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets, in the document's order: value, target, met, by how much, why."""
    rows = startup.targets(report["small"])
    b_and_e = large.targets(report["large"])
    rows += [b_and_e[0], *pandas_diff.targets(report["large"]), *batch.targets(report["batch"]), b_and_e[1]]
    if report.get("throughput"):
        rows += throughput.targets(report["throughput"])
    if report.get("changed"):
        rows += changed_heavy.targets(report["changed"])
    return rows


#: hand-written, dated measurements (side-by-side runs outside benchmarks/run.py) follow this line in
#: docs/performance.md; :func:`write_document` keeps them when it rewrites the generated part above it
DATED_MARKER = "<!-- dated measurements below: kept as they are when benchmarks/run.py rewrites this file -->"


def write_document(path: Path, generated: str) -> None:
    """Write ``generated`` to ``path``, keeping the dated measurements the file already holds below
    :data:`DATED_MARKER` (a full run must not erase what other runs measured)."""
    kept = ""
    if path.is_file():
        old = path.read_text(encoding="utf-8")
        if DATED_MARKER in old:
            kept = old[old.index(DATED_MARKER) :]
    text = generated.rstrip("\n") + "\n\n" + kept if kept else generated
    path.write_text(text, encoding="utf-8")


def render_markdown(report: dict[str, Any]) -> str:
    """docs/performance.md from a report (a dict as :func:`benchmarks.run.run_all` returns it)."""
    m, small, big, jobs = report["machine"], report["small"], report["large"], report["batch"]
    targets = evaluate(report)
    out: list[str] = []
    add = out.append
    add("# Performance\n")
    add(
        f"Measured by `python benchmarks/run.py{' --quick' if report['mode'] == 'quick' else ''}` on "
        f"{m['date']} (commit {m['commit'] or 'unknown'}), every figure from the same run on the same "
        "machine. "
        "Do not edit by hand: re-run the benchmark (it rewrites this file). Data come from "
        "`benchmarks/synth.py` (synthetic schools, fixed seeds).\n"
    )
    add("## Machine\n")
    add("| | |\n|---|---|")
    add(f"| CPU | {m['cpu']} |\n| cores (`nproc`) | {m['nproc']} |\n| memory | {m['memory_gib']} GiB |")
    add(f"| Python | {m['python']} |\n| system | {m['platform']} |")
    add(f"| bytecode | {m.get('bytecode', '?')} |\n")
    add("## Targets\n")
    add("| | measurement | value | target | result | gap |\n|---|---|---|---|---|---|")
    for row in targets:
        add(
            f"| ({row['id']}) | {row['what']} | {row['value']} | {row['target']} | {verdict(row['met'])} | "
            f"{row['gap']} |"
        )
    add("")
    add(startup.markdown(small))
    add(large.markdown(big))
    add(pandas_diff.markdown(big))
    add(batch.markdown(jobs, m["nproc"]))
    add("## (e) Peak RSS\n")
    add("| process | peak RSS |\n|---|---|")
    add(f"| `onde-sacoche --help` | {mib(small['help']['rss_mb'])} |")
    add(f"| `plan`, {small['pupils']} pupils | {mib(small['plan']['rss_mb'])} |")
    add(f"| `plan`, {big['pupils']:,} pupils | {mib(big['plan']['rss_mb'])} |")
    pandas = big.get("pandas")
    if pandas:
        add(f"| naive pandas, {big['pupils']:,} pupils | {mib(pandas['rss_mb'])} |")
    add(f"| `batch --jobs 1` (largest process) | {mib(jobs['jobs1']['rss_mb'])} |")
    add(f"| `batch --jobs 2` (largest process) | {mib(jobs['jobs2']['rss_mb'])} |\n")
    if report.get("apply"):
        add(apply_sql.markdown(report["apply"]))
    if report.get("throughput"):
        add(throughput.markdown(report["throughput"]))
    if report.get("changed"):
        add(changed_heavy.markdown(report["changed"]))
    add("## Why targets are missed\n")
    for row in targets:
        if row["met"] is False:
            add(f"- **({row['id']})** {row['gap']}: {row['why']}")
    if all(row["met"] is not False for row in targets):
        add("No target is missed.")
    add("")
    add(notes(report))
    return "\n".join(out) + "\n"


def notes(report: dict[str, Any]) -> str:
    """The notes, with this run's figures for the stages outside the planning ones."""
    outside = []
    for name, what in (
        ("read_state", "streams the user table, fingerprinting each row as it arrives"),
        ("write_plan", "writes plan.json item by item (a small indenter giving json.dumps's bytes)"),
        (
            "load_plan",
            "reads plan.json back once, for the SQL and the report (what is rendered is what a "
            "reviewer reads)",
        ),
        ("render_sql", "streams each script to a temporary file, renamed when all six are written"),
        ("render_reports", "renders the report and the login sheet from the same loaded plan"),
    ):
        stage = find_stage(report["large"]["stages"], name)
        if stage:
            figures = f"{seconds(stage['seconds'])}, peak {mib(stage['peak_mb'])} when done"
            outside.append(f"`{name}` {what} ({figures})")
    text = NOTES
    if outside:
        text += "- Writing and rendering stages: " + "; ".join(outside) + ".\n"
    report_mb = report["large"].get("report_mb")
    if report_mb:
        text += (
            f"- The report lists every changed pupil: for this synthetic school it is {report_mb:.0f} MiB of "
            "HTML that nobody would print; a real school's renders in milliseconds.\n"
        )
    return text


NOTES = """## Notes

- Fuzzy matching blocks by birth date (a deletion index inside large blocks) and by folded names; no
  stage compares all pairs. The look-alike proposals ("same nom and prénom, different birth date") grow
  with the number of unmatched accounts sharing a name, so a real name distribution matters: the
  generator draws family names from a long tail, as in France.
- Changes made for scale in the planning stages (same results, checked by tests on generated schools):
  the normaliser memoises each field's rule steps per distinct cell (equal values then share one
  string), `class_of` and `group_ref` are memoised per class/label instead of per pupil, the matcher
  builds its tier indexes without a list per key and searches look-alikes through a deletion index, the
  planner reads its field policy once and skips unchanged pupils with one comparison, the cyclic garbage
  collector is paused while these stages build millions of objects, and `openpyxl`, `clevercsv` and
  `charset_normalizer` are imported only when used.
- Memory: the peak is reached while planning, when the export, the state, the matching and the plan's
  items are all needed. Everything but plan.json is released before rendering, which reads plan.json
  back once and streams every script and the report to disk (the first measurement held the six
  scripts in memory: 5.99 GiB).
- Rendering: the SQL phrases (lookups, row identities, the condition of every guard and check) are
  Python functions called by the templates (`engine/render/sqlphrases.py`): as Jinja macros they took about
  70 % of the rendering time. The scripts are byte for byte those of the macros (checked on a
  100,000-pupil plan and by the golden files). The benchmark's database is SQLite, so both dialects are
  rendered; a plan made against MySQL/MariaDB (a real SACoche) renders the MySQL scripts only, about half
  of `render_sql`.
"""
