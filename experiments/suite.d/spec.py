"""One experiment as described by its JSON file in experiments/: title, what it measures, and the
steps (programs with their parameters) that produce its raw data."""

import json
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("real", "sim")


class SpecError(Exception):
    """A broken experiment file; the message names the file and the field."""


@dataclass
class Step:
    """One program run of an experiment; its output directory is passed as --out."""

    name: str
    mode: str
    program: str
    args: dict
    quick_args: dict
    timeout_s: float
    out_args: list  # how the program is told its output directory; "{out}" is replaced
    equals: bool  # flags written --key=value (Google Benchmark) instead of --key value
    # Not run with --quick (a real step that cannot be made short enough for the smoke set; the
    # experiment's other steps must then give its CSV and plots on their own).
    skip_in_quick: bool = False

    def command(self, build: Path, out: Path, quick: bool, repo: Path) -> list:
        program = self.program.replace("{build}", str(build))
        if not Path(program).is_absolute():
            program = str(repo / program)
        args = dict(self.args)
        if quick:
            args.update(self.quick_args)
        argv = [program]
        for key, value in args.items():
            flag = f"--{key}"
            if isinstance(value, str):
                value = value.replace("{build}", str(build))
            if value is True:
                argv.append(flag)
            elif value is False or value is None:
                continue
            elif self.equals:
                values = value if isinstance(value, list) else [value]
                argv.append(f"{flag}=" + ",".join(str(v) for v in values))
            elif isinstance(value, list):
                argv.append(flag)
                argv.extend(str(v) for v in value)
            else:
                argv.extend([flag, str(value)])
        argv.extend(a.replace("{out}", str(out)) for a in self.out_args)
        return argv

    def parameters(self, quick: bool) -> dict:
        args = dict(self.args)
        if quick:
            args.update(self.quick_args)
        return args


@dataclass
class Experiment:
    """An experiment file: experiments/<name>.json."""

    name: str
    path: Path
    order: int
    title: str
    description: str
    steps: list = field(default_factory=list)
    reference: dict = field(default_factory=dict)

    @property
    def modes(self) -> list:
        return sorted({s.mode for s in self.steps})


def _field(doc: dict, key: str, kind, where: str, default=None):
    if key not in doc:
        if default is not None:
            return default
        raise SpecError(f"{where}: missing field \"{key}\"")
    value = doc[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        names = " or ".join(k.__name__ for k in kinds)
        raise SpecError(f"{where}: field \"{key}\" must be {names}, got {value!r}")
    return value


def load(path: Path) -> Experiment:
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise SpecError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    if not isinstance(doc, dict):
        raise SpecError(f"{path}: expected a JSON object")
    where = str(path)
    steps = []
    for i, raw in enumerate(_field(doc, "steps", list, where)):
        at = f"{where}: steps[{i}]"
        if not isinstance(raw, dict):
            raise SpecError(f"{at}: expected an object")
        mode = _field(raw, "mode", str, at)
        if mode not in MODES:
            raise SpecError(f"{at}: field \"mode\" must be one of {MODES}, got {mode!r}")
        steps.append(Step(name=_field(raw, "name", str, at), mode=mode,
                          program=_field(raw, "program", str, at),
                          args=_field(raw, "args", dict, at, {}),
                          quick_args=_field(raw, "quick_args", dict, at, {}),
                          timeout_s=float(_field(raw, "timeout_s", (int, float), at, 600)),
                          out_args=_field(raw, "out_args", list, at, ["--out", "{out}"]),
                          equals=_arg_style(raw, at) == "equals",
                          skip_in_quick=_field(raw, "skip_in_quick", bool, at, False)))
    if steps and all(s.skip_in_quick for s in steps):
        raise SpecError(f"{where}: every step has skip_in_quick: the quick set would have nothing "
                        "to report")
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: step names must be distinct, got {names}")
    return Experiment(name=path.stem, path=path, order=_field(doc, "order", int, where),
                      title=_field(doc, "title", str, where),
                      description=_field(doc, "description", str, where), steps=steps,
                      reference=_field(doc, "reference", dict, where, {}))


def load_all(directory: Path) -> list:
    experiments = [load(p) for p in sorted(directory.glob("*.json"))]
    return sorted(experiments, key=lambda e: (e.order, e.name))


def _arg_style(raw: dict, where: str) -> str:
    style = _field(raw, "arg_style", str, where, "space")
    if style not in ("space", "equals"):
        raise SpecError(f"{where}: field \"arg_style\" must be \"space\" or \"equals\", "
                        f"got {style!r}")
    return style
