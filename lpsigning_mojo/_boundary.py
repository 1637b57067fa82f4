"""The error boundary shared by ``lpsigning-mojo`` and ``bundle-lint``.

Kept apart from :mod:`lpsigning_mojo.cli` so that the lint hook can use it
without importing every command.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

from lpsigning_mojo._version import __version__
from lpsigning_mojo.errors import ExitStatus, LpsigningMojoError
from lpsigning_mojo.untrusted import printable

__all__ = ["EXIT_INTERRUPTED", "EXIT_UNEXPECTED", "guarded"]

EXIT_UNEXPECTED = ExitStatus.BUG
EXIT_INTERRUPTED = ExitStatus.INTERRUPTED

#: Error handlers of a text stream that raise for a character its encoding lacks.
_FAILING = ("strict", "surrogateescape")


def _write_crash_log() -> str:
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="lpsigning-mojo-crash-", suffix=".log", delete=False, encoding="utf-8"
    ) as log:
        log.write(f"lpsigning-mojo {__version__}\n")
        log.write(f"argv: {sys.argv!r}\n\n")
        log.write(traceback.format_exc())
        return log.name


def _escape_unencodable() -> None:
    """Let stdout and stderr write any text, escaping what their encoding cannot hold.

    Output may hold text from files and other programs (a bundle's comments,
    a path that is not valid UTF-8); written to a stream whose encoding
    cannot represent it (``PYTHONIOENCODING=ascii``, the C locale), such a
    character becomes a ``\\xe9``-style escape instead of an exception.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) in _FAILING:
            with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
                reconfigure(errors="backslashreplace")


def guarded(prog: str, call: Callable[[], int], *, failure: int | None = None) -> int:
    """Run ``call`` inside the error boundary and return the exit status.

    An :class:`~lpsigning_mojo.errors.LpsigningMojoError` prints its sentence
    (control characters escaped: it may quote what another system sent) and
    exits with its ``exit_code`` (see :class:`~lpsigning_mojo.errors.ExitStatus`);
    Ctrl-C exits 130; anything else is a bug: the traceback goes to a log file
    whose path is printed, exit 3. With ``failure`` (``exec --remote-status``:
    255), every failure but Ctrl-C exits with that status instead, so that
    ``call``'s own status (a remote command's) is never mistaken for the
    tool's. Text that the output streams' encoding cannot hold is escaped,
    never an error.
    """
    _escape_unencodable()
    try:
        return call()
    except LpsigningMojoError as error:
        print(f"{prog}: {printable(str(error), newlines=True)}", file=sys.stderr)
        code = error.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        code = ExitStatus.ERROR
    except Exception as error:  # the one place that turns bugs into a report
        path = _write_crash_log()
        print(
            f"{prog}: unexpected error ({type(error).__name__}: {printable(str(error))}). "
            f"This is a bug; the traceback is in {path}; please attach it to a bug report.",
            file=sys.stderr,
        )
        code = EXIT_UNEXPECTED
    if code == EXIT_INTERRUPTED:
        return code
    return int(code if failure is None else failure)
