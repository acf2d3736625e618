"""REPORT.md of one `make experiments` run: the machine, the commit, every experiment's
parameters and commands, its plots, headline numbers and reading."""

import json
import os
from pathlib import Path


def _table(rows: list, header: tuple) -> list:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return lines


def _rel(path: Path, base: Path) -> str:
    return os.path.relpath(path, base)


def write(path: Path, run: dict, entries: list) -> Path:
    """run: commit, date, started, finished, wall_s, command, quick, machine (dict).
    entries: (experiment, outcome or None, [(step, StepResult)], wall_s, error text or "")."""
    base = path.parent
    m = run["machine"]
    lines = [f"# Experiment report: {run['date']}, commit {run['commit']}", ""]
    lines += [f"Produced by `{run['command']}` ({'quick smoke set' if run['quick'] else 'default set'})"
              f" from {run['started']} to {run['finished']} ({run['wall_s']:.0f} s wall). Every "
              f"experiment below is described by a JSON file in `experiments/`; rerun one alone "
              f"with `experiments/run --only NAME`. Simulation results depend only on the seeds "
              f"and the build; real-mode results depend on the machine and its load.", ""]
    lines += ["## Machine", ""]
    lines += _table([("CPU", f"{m.get('nproc')} cores, {m.get('cpu')}"),
                     ("kernel", m.get("kernel")), ("memory", m.get("memory")),
                     ("temporary directories on", m.get("tmp_fs")),
                     ("load average (1/5/15 min) at start / end",
                      f"{m.get('loadavg_start')} / {m.get('loadavg_end')}"),
                     ("software", m.get("software"))], ("what", "value"))
    lines += ["", "## Summary", ""]
    summary = []
    for k, (exp, outcome, steps, wall_s, error) in enumerate(entries, 1):
        status = "ok" if not error and all(r.ok for _, r in steps) else "FAILED"
        first = (outcome.summary or (outcome.headline[0] if outcome.headline else ("", ""))
                 if outcome else ("", ""))
        summary.append((f"[{k}. {exp.name}](#{k}-{exp.name.replace('_', '-')})",
                        ", ".join(exp.modes), f"{wall_s:.0f}", status,
                        f"{first[0]}: {first[1]}" if first[0] else ""))
    lines += _table(summary, ("experiment", "modes", "wall s", "status", "key result"))
    for k, (exp, outcome, steps, wall_s, error) in enumerate(entries, 1):
        lines += ["", f"## {k}. {exp.name}", "", f"**{exp.title}.** {exp.description}", ""]
        lines += [f"Parameters: [`experiments/{exp.path.name}`](../../{exp.path.name}); "
                  f"commands as run (other flags at the programs' defaults, see their `--help`):",
                  ""]
        for step, result in steps:
            params = step.parameters(run["quick"])
            seeds = {k2: v for k2, v in params.items() if "seed" in k2}
            lines.append(f"- step `{step.name}` ({step.mode}, {result.seconds:.0f} s, "
                         f"{'ok' if result.ok else 'FAILED: exit ' + str(result.returncode) + (' (timeout)' if result.timed_out else '')})"
                         + (f", seeds {json.dumps(seeds)}" if seeds else "")
                         + f", log [{_rel(result.log, base)}]({_rel(result.log, base)}):")
            lines += ["", "  ```", "  " + " ".join(_display(a) for a in result.command), "  ```"]
        lines.append("")
        if error:
            lines += [f"**Summary failed:** {error}", ""]
        if outcome is None:
            continue
        for png in outcome.pngs:
            lines += [f"![{exp.name}]({_rel(png, base)})", ""]
        if outcome.headline:
            lines += _table(outcome.headline, ("result", "value"))
            lines.append("")
        if outcome.reading:
            lines += [f"**Reading.** {outcome.reading}", ""]
        for note in outcome.notes:
            lines += [f"*Note:* {note}", ""]
        lines += [f"Data: [{_rel(outcome.csv, base)}]({_rel(outcome.csv, base)})", ""]
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path


def _display(arg: str) -> str:
    """Paths inside the repository shown relative to it, so the command reads as typed."""
    repo = str(Path(__file__).resolve().parents[2]) + "/"
    return arg.replace(repo, "")
