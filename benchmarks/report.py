"""docs/performance.md from the measurements of one run: the targets, then each case's section.

Each case module gives its own section (``markdown``) and targets (``targets``: value, target, met, by
how much, and why when missed); this module puts them in order, with the machine, the peak RSS of every
process (e) and the notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import apply_sql, batch, budgets, changed_report, large, pandas_diff, startup, throughput
from benchmarks.notes import notes
from benchmarks.text import mib, seconds, verdict


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets, in the document's order: value, target, met, by how much, why."""
    rows = startup.targets(report["small"])
    b_and_e = large.targets(report["large"])
    rows += [b_and_e[0], *pandas_diff.targets(report["large"]), *batch.targets(report["batch"]), b_and_e[1]]
    if report.get("throughput"):
        rows += throughput.targets(report["throughput"], report.get("small"))
    if report.get("changed"):
        rows += changed_report.targets(report["changed"])
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
    command = (
        report.get("command") or f"python benchmarks/run.py{' --quick' if report['mode'] == 'quick' else ''}"
    )
    add(
        f"Measured by `{command}` on "
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
    if report.get("cases"):
        add(cases_table(report["cases"], m.get("nproc")))
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
        add(changed_report.markdown(report["changed"]))
    add("## Why targets are missed\n")
    for row in targets:
        if row["met"] is False:
            add(f"- **({row['id']})** {row['gap']}: {row['why']}")
    if all(row["met"] is not False for row in targets):
        add("No target is missed.")
    add("")
    add(notes(report))
    return "\n".join(out) + "\n"


def cases_table(cases: dict[str, Any], nproc: int | None) -> str:
    """How long each case took in this run and how loaded the machine was (1-minute load average when it
    started and when it ended)."""
    out = ["| case | wall time | load average (start – end) |", "|---|---|---|"]
    for key, case in cases.items():
        title = budgets.TITLES.get(key, "")
        load = " – ".join(str(x) for x in case["load"])
        out.append(f"| {title} ({key}) | {seconds(case['seconds'])} | {load} |")
    total = sum(case["seconds"] for case in cases.values())
    loads = [x for case in cases.values() for x in case["load"]]
    shared = (
        f" The load average rose above the {nproc} cores: other work shared the machine during this run."
        if nproc and loads and max(loads) > nproc
        else ""
    )
    return "\n".join(out) + f"\n\nThe whole run: {budgets.minutes(total)}.{shared}\n"
