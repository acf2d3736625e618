"""Unit tests of the experiment files' reader (experiments/suite.d/spec.py): broken files are
refused with the file, line or field named, and steps turn into the command lines expected."""

import json
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "experiments" / "suite.d"))

import spec  # noqa: E402

GOOD = {"order": 1, "title": "t", "description": "d",
        "steps": [{"name": "sim", "mode": "sim", "program": "{build}/engine-in-sim",
                   "args": {"experiment": "propagation", "seeds": 50, "delays-ms": [0.1, 1],
                            "quick": False, "no-etcd": True, "dns-node": "{build}/dns-node"},
                   "quick_args": {"seeds": 4}}]}


class SpecTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="spec-test-"))

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.write_text(text)
        return path

    def assert_refused(self, doc, *fragments):
        path = self.write("bad.json", doc if isinstance(doc, str) else json.dumps(doc))
        with self.assertRaises(spec.SpecError) as caught:
            spec.load(path)
        message = str(caught.exception)
        self.assertIn(str(path), message)
        for fragment in fragments:
            self.assertIn(fragment, message)

    def test_invalid_json_names_the_line(self):
        self.assert_refused('{\n  "order": 1,\n  "title": \n}', ":4:", "invalid JSON")

    def test_missing_and_mistyped_fields_are_named(self):
        self.assert_refused({k: v for k, v in GOOD.items() if k != "title"}, '"title"')
        self.assert_refused({**GOOD, "order": "first"}, '"order"', "int")
        self.assert_refused({**GOOD, "order": True}, '"order"')
        self.assert_refused([1, 2], "expected a JSON object")
        step = dict(GOOD["steps"][0])
        self.assert_refused({**GOOD, "steps": [{**step, "mode": "cloud"}]}, "steps[0]", '"mode"')
        self.assert_refused({**GOOD, "steps": [{**step, "arg_style": "colon"}]}, '"arg_style"')
        self.assert_refused({**GOOD, "steps": [step, step]}, "distinct")
        self.assert_refused({**GOOD, "steps": ["x"]}, "steps[0]", "expected an object")

    def test_command_line_of_a_step(self):
        exp = spec.load(self.write("propagation.json", json.dumps(GOOD)))
        self.assertEqual(exp.name, "propagation")
        self.assertEqual(exp.modes, ["sim"])
        step = exp.steps[0]
        build, out = Path("/b"), Path("/o")
        self.assertEqual(step.command(build, out, False, REPO),
                         ["/b/engine-in-sim", "--experiment", "propagation", "--seeds", "50",
                          "--delays-ms", "0.1", "1", "--no-etcd", "--dns-node", "/b/dns-node",
                          "--out", "/o"])
        quick = step.command(build, out, True, REPO)
        self.assertEqual(quick[quick.index("--seeds") + 1], "4")
        self.assertEqual(step.parameters(True)["seeds"], 4)

    def test_equals_style_and_output_arguments(self):
        doc = {**GOOD, "steps": [{"name": "bench", "mode": "sim", "program": "{build}/bench_sim",
                                  "arg_style": "equals", "args": {"benchmark_min_time": 3},
                                  "out_args": ["--benchmark_out={out}/x.json"]}]}
        step = spec.load(self.write("sim_speed.json", json.dumps(doc))).steps[0]
        self.assertEqual(step.command(Path("/b"), Path("/o"), False, REPO),
                         ["/b/bench_sim", "--benchmark_min_time=3", "--benchmark_out=/o/x.json"])

    def test_relative_programs_are_found_in_the_repository(self):
        doc = {**GOOD, "steps": [{"name": "real", "mode": "real",
                                  "program": "experiments/cluster_bench"}]}
        step = spec.load(self.write("writes.json", json.dumps(doc))).steps[0]
        self.assertEqual(step.command(Path("/b"), Path("/o"), False, REPO)[0],
                         str(REPO / "experiments" / "cluster_bench"))

    def test_skip_in_quick(self):
        real = {"name": "real", "mode": "real", "program": "experiments/lifecycle",
                "skip_in_quick": True}
        steps = spec.load(self.write("x.json", json.dumps(
            {**GOOD, "steps": [GOOD["steps"][0], real]}))).steps
        self.assertEqual([s.skip_in_quick for s in steps], [False, True])
        self.assert_refused({**GOOD, "steps": [{**real, "skip_in_quick": "yes"}]},
                            '"skip_in_quick"', "bool")
        self.assert_refused({**GOOD, "steps": [real]}, "every step has skip_in_quick")

    def test_the_shipped_experiment_files_load(self):
        experiments = spec.load_all(REPO / "experiments")
        names = [e.name for e in experiments]
        for name in ("queries", "propagation", "availability", "checkpointing", "failover",
                     "writes", "sim_speed"):
            self.assertIn(name, names)
        for e in experiments:
            self.assertTrue((REPO / "experiments" / "suite.d" / f"{e.name}.py").is_file(),
                            f"{e.name}.json has no summarizer suite.d/{e.name}.py")


if __name__ == "__main__":
    unittest.main()
