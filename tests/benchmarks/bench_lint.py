"""Benchmark: whole-process wall time of ``bundle-lint`` against ``yamllint``.

Not collected by pytest (no ``test_`` prefix). Run from the repository top,
in a virtual environment where both are installed::

    .venv/bin/pip install -e . yamllint
    .venv/bin/python tests/benchmarks/bench_lint.py [--runs 21]

Both commands run on the same files, in the same run, alternating, as
separate processes; the script prints the median wall time of each and the
ratio bundle-lint / yamllint (the target is at most 1.0). The files are the
shipped bundle template, a generated bundle template of 40 applications
(about 300 lines) in a spec with three stages, and the same bundle written
as plain YAML (no Jinja2 syntax, so bundle-lint does not import Jinja2 for
it). bundle-lint renders and checks each file for every stage; yamllint
checks the text once with its default rules. Before timing,
the package is byte-compiled, as ``pip install`` does for a regular
install (an editable install leaves that to the first run, and
``PYTHONDONTWRITEBYTECODE`` may prevent it).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def generated_bundle(applications: int = 40, *, jinja: bool = True) -> str:
    """A bundle of ``applications`` applications; a Jinja2 template unless ``jinja`` is false."""
    lines = [
        "# A generated bundle for the lint benchmark.",
        "description: generated bundle for the lint benchmark",
        "series: {{ series }}" if jinja else "series: jammy",
        "applications:",
    ]
    for index in range(applications):
        lines += [
            f"  app-{index}:",
            f"    charm: charm-{index}",
            "    channel: latest/stable",
            f"    revision: {100 + index}",
            '    num_units: {{ 2 if stage_name == "production" else 1 }}'
            if jinja
            else "    num_units: 2",
            "    options:",
            f"      port: {8000 + index}",
        ]
    lines.append("relations:")
    for index in range(1, applications):
        lines.append(f'  - ["app-{index}:db", "app-0:db"]')
    return "\n".join(lines) + "\n"


def make_spec(directory: Path, *, jinja: bool = True) -> Path:
    """A spec with a generated bundle, a manifest and three stage directories."""
    spec = directory / ("generated" if jinja else "generated-plain")
    for stage in ("production", "staging", "devel"):
        (spec / stage).mkdir(parents=True)
    (spec / "bundle.yaml").write_text(generated_bundle(jinja=jinja), encoding="utf-8")
    (spec / "manifest").write_text("bundle config=bundle.yaml\n", encoding="utf-8")
    return spec / "bundle.yaml"


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        raise SystemExit(f"bench_lint: {name} is not installed; pip install it first")
    return which


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command per file")
    args = parser.parse_args()
    compileall.compile_dir(REPO / "lpsigning_mojo", quiet=1)
    bundle_lint, yamllint = tool("bundle-lint"), tool("yamllint")
    with tempfile.TemporaryDirectory() as temporary:
        generated = make_spec(Path(temporary))
        plain = make_spec(Path(temporary), jinja=False)
        files = {
            "shipped bundle": REPO / "spec" / "lp-signing" / "bundle.yaml",
            f"generated ({len(generated.read_text().splitlines())} lines)": generated,
            f"same, plain YAML ({len(plain.read_text().splitlines())})": plain,
        }
        print(f"{'file':<26} {'bundle-lint':>12} {'yamllint':>10} {'ratio':>7}")
        worst = 0.0
        for label, path in files.items():
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(2):  # warm the file cache
                wall([bundle_lint, str(path)])
                wall([yamllint, str(path)])
            for _ in range(args.runs):
                ours.append(wall([bundle_lint, str(path)]))
                theirs.append(wall([yamllint, str(path)]))
            mine, other = statistics.median(ours), statistics.median(theirs)
            worst = max(worst, mine / other)
            print(
                f"{label:<26} {mine * 1000:>9.1f} ms {other * 1000:>7.1f} ms {mine / other:>7.2f}"
            )
        # The part no linter of Jinja2 templates in Python can avoid: starting
        # the interpreter and importing Jinja2, PyYAML and argparse.
        floor_command = [sys.executable, "-c", "import jinja2, yaml, argparse"]
        shipped = files["shipped bundle"]
        floors, theirs = [], []
        for _ in range(args.runs):
            floors.append(wall(floor_command))
            theirs.append(wall([yamllint, str(shipped)]))
        floor, other = statistics.median(floors), statistics.median(theirs)
        print(
            f"{'floor: import jinja2, yaml':<26} {floor * 1000:>9.1f} ms {other * 1000:>7.1f} ms "
            f"{floor / other:>7.2f}"
        )
        print(
            f"worst ratio {worst:.2f} (target: at most 1.0); Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
