"""The experiment suite's smoke test: `experiments/run --quick` produces every experiment's CSV
and plots and a REPORT.md that lists every experiment, and a second run of the simulation steps
gives the same simulation rows.

Usage: /usr/bin/python3 quick_suite_test.py BUILD_DIR
The results stay in a temporary directory that is printed and kept when a check fails.
"""

import csv
import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "experiments" / "run"
BUILD = None  # from argv
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def experiment_names() -> list:
    return sorted(p.stem for p in (REPO / "experiments").glob("*.json"))


def run_suite(out: Path, *extra) -> subprocess.CompletedProcess:
    command = [sys.executable, str(RUNNER), "--quick", "--build", str(BUILD), "--out", str(out),
               *extra]
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, capture_output=True, text=True, timeout=800)
    print(result.stdout[-20000:], result.stderr[-5000:], sep="\n", flush=True)
    return result


def sim_rows(path: Path) -> list:
    with open(path, newline="") as f:
        return [row for row in csv.DictReader(f) if row.get("mode") == "sim"]


class QuickSuite(unittest.TestCase):
    """One quick run of every experiment plus a simulation-only rerun, checked together."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="quick-suite-"))
        cls.first = run_suite(cls.tmp / "a")
        cls.second = run_suite(cls.tmp / "b", "--modes", "sim")
        cls.keep = False

    @classmethod
    def tearDownClass(cls):
        if cls.keep:
            print(f"kept {cls.tmp} for inspection", flush=True)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def run(self, result=None):
        result = result or self.defaultTestResult()
        problems = len(result.errors) + len(result.failures)
        super().run(result)
        if len(result.errors) + len(result.failures) > problems:
            type(self).keep = True

    def test_runs_end_well(self):
        self.assertEqual(self.first.returncode, 0, "experiments/run --quick failed")
        self.assertEqual(self.second.returncode, 0, "experiments/run --quick --modes sim failed")

    def test_every_experiment_has_its_csv_and_plots(self):
        out = self.tmp / "a"
        run = json.loads((out / "run.json").read_text())
        self.assertEqual(sorted(e["name"] for e in run["experiments"]), experiment_names())
        for entry in run["experiments"]:
            name = entry["name"]
            with self.subTest(experiment=name):
                self.assertEqual(entry["csv"], f"{name}.csv")
                with open(out / entry["csv"], newline="") as f:
                    rows = list(csv.DictReader(f))
                self.assertGreater(len(rows), 0, f"{name}.csv has no rows")
                self.assertIn("mode", rows[0])
                self.assertGreaterEqual(len(entry["pngs"]), 1, f"{name}: no plot")
                for png in entry["pngs"]:
                    data = (out / png).read_bytes()
                    self.assertTrue(data.startswith(PNG_MAGIC), f"{png} is not a PNG")
                    self.assertGreater(len(data), 5000, f"{png} looks empty")
                for step in entry["steps"]:
                    self.assertTrue(step["ok"], f"{name}: step {step['name']} failed")

    def test_report_lists_every_experiment_with_its_plots(self):
        out = self.tmp / "a"
        report = (out / "REPORT.md").read_text()
        for k, name in enumerate(self.ordered_names(out), 1):
            with self.subTest(experiment=name):
                self.assertIn(f"\n## {k}. {name}\n", report)
                self.assertIn(f"({name}.png)", report)
                self.assertIn(f"[{name}.csv]({name}.csv)", report)
        self.assertIn("## Machine", report)
        self.assertRegex(report, r"commit [0-9a-f]{7,}")
        self.assertIn("**Reading.**", report)
        self.assertNotIn("Summary failed", report)

    def test_simulation_rows_repeat_for_the_same_seeds(self):
        compared = 0
        for name in experiment_names():
            first, second = self.tmp / "a" / f"{name}.csv", self.tmp / "b" / f"{name}.csv"
            if not first.is_file() or not second.is_file():
                continue
            rows = sim_rows(first)
            with self.subTest(experiment=name):
                self.assertEqual(rows, sim_rows(second),
                                 f"{name}: simulation rows differ between two runs")
            compared += len(rows)
        self.assertGreater(compared, 100, "too few simulation rows to compare")

    @staticmethod
    def ordered_names(out: Path) -> list:
        return [e["name"] for e in json.loads((out / "run.json").read_text())["experiments"]]


def main():
    global BUILD
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    BUILD = Path(sys.argv[1]).resolve()
    return 0 if unittest.main(argv=[sys.argv[0], "-v"], exit=False).result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
