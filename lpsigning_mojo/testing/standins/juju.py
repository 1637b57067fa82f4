"""A ``juju`` stand-in: an executable that answers only the command lines it expects.

:class:`FakeJujuBin` writes a ``juju`` script into a directory; put that
directory first on ``PATH`` and the juju CLI adapter, run by any runner that
uses the shell's ``PATH``, finds it. Each call is logged; an argv it was not
told to expect fails with exit status 2 and says so on stderr. The script
runs under the Python that runs this module.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from types import TracebackType

__all__ = ["FakeJujuBin"]

_SCRIPT = """\
#!{python}
import json, sys
from pathlib import Path
here = Path(__file__).resolve().parent
argv = sys.argv[1:]
with open(here / "calls.log", "a") as log:
    log.write(json.dumps(argv) + "\\n")
for answer in json.loads((here / "answers.json").read_text()):
    if answer["argv"] == argv:
        sys.stdout.write(answer["stdout"])
        sys.stderr.write(answer["stderr"])
        sys.exit(answer["exit_status"])
sys.stderr.write("fake juju: unexpected arguments: %r\\n" % (argv,))
sys.exit(2)
"""

_FILES = ("juju", "answers.json", "calls.log")


class FakeJujuBin:
    """A ``juju`` executable in ``directory`` (created by :meth:`start`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.answers: list[dict[str, object]] = []

    @property
    def path(self) -> Path:
        """The executable itself."""
        return self.directory / "juju"

    def start(self) -> FakeJujuBin:
        """Write the executable (and the answers expected so far)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path.write_text(_SCRIPT.format(python=sys.executable), encoding="utf-8")
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR)
        self._save()
        return self

    def close(self) -> None:
        """Remove the executable, its answers and its log."""
        for name in _FILES:
            (self.directory / name).unlink(missing_ok=True)

    def __enter__(self) -> FakeJujuBin:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def expect(self, *argv: str, stdout: str = "", stderr: str = "", exit_status: int = 0) -> None:
        """Answer ``juju ARGV...`` with this output and exit status (each time it is called)."""
        self.answers.append(
            {"argv": list(argv), "stdout": stdout, "stderr": stderr, "exit_status": exit_status}
        )
        if self.path.exists():
            self._save()

    def calls(self) -> list[list[str]]:
        """The argv of every call so far, in order."""
        log = self.directory / "calls.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def _save(self) -> None:
        (self.directory / "answers.json").write_text(json.dumps(self.answers), encoding="utf-8")
