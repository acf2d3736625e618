"""What an experiment's summarizer hands the report (its CSV, plots, headline numbers and
reading), and the small CSV and statistics helpers the summarizers share."""

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    """One experiment's results as they appear in REPORT.md."""

    csv: Path
    pngs: list = field(default_factory=list)
    headline: list = field(default_factory=list)  # (what, value) rows of the results table
    summary: tuple = ()  # (what, value) for the report's summary table; default headline[0]
    reading: str = ""
    notes: list = field(default_factory=list)  # caveats: missing parts, failed steps


@dataclass
class Context:
    """What a summarizer gets: where each step wrote its raw output and where results go."""

    experiment: object  # spec.Experiment
    raw: dict  # step name -> directory given to the step as --out (only steps that ran)
    out: Path
    quick: bool
    failed_steps: list  # names of steps that did not end well

    def raw_file(self, step: str, name: str) -> Path | None:
        directory = self.raw.get(step)
        if directory is None:
            return None
        path = directory / name
        return path if path.is_file() else None


def read_csv(path: Path | None) -> list:
    if path is None or not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, header: list, rows: list) -> Path:
    """rows: dicts; missing keys are written empty. Rows keep their order (callers sort) so the
    same inputs give the same bytes."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in header})
    return path


def number(value, default=math.nan) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def finite(values) -> list:
    return [v for v in (number(x) for x in values) if math.isfinite(v)]


def percentile(values, p: float) -> float:
    """Linear interpolation between closest ranks; nan for no values."""
    data = sorted(finite(values))
    if not data:
        return math.nan
    k = (len(data) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values) -> float:
    return percentile(values, 50)


def fmt(value: float, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> float:
    return a / b if b and math.isfinite(a) and math.isfinite(b) else math.nan
