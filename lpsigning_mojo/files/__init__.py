"""Reading and editing the files a person names, with errors a person can act on.

Every file the project reads because a person named it (a bundle template,
a manifest, ``instances.yaml``, a configuration file) is read here, and
every edit of such a file is made here, so that the same rules hold
everywhere:

* Only regular files are read. A directory, a FIFO, a socket or a device is
  refused with one sentence, without opening it first, and without blocking
  (a FIFO with no writer would wait forever; ``/dev/zero`` never ends).
* At most :data:`MAX_FILE_BYTES` are read: a larger file is refused with
  :class:`~lpsigning_mojo.errors.FileTooLargeError`.
* A symbolic link is followed; a loop of links is refused with one sentence.

:func:`edit_text` is the one way the project changes such a file. It holds
an exclusive lock (``flock``) on the file from the moment it reads the text
until the new text has replaced it, so two edits of one file, from two
processes, run one after the other and neither loses the other's change.
The new text goes to a temporary file beside the file the name points to,
which then replaces it atomically (``rename``): an interrupted edit leaves
the old text whole. See :func:`edit_text` for what it refuses and why.
"""

from __future__ import annotations

from lpsigning_mojo.files import editing, reading
from lpsigning_mojo.files.editing import Edited, edit_text, signals_clean_up
from lpsigning_mojo.files.reading import read_bytes, read_text, read_toml, resolved

__all__ = [
    "LOCK_TIMEOUT",
    "MAX_FILE_BYTES",
    "Edited",
    "edit_text",
    "read_bytes",
    "read_text",
    "read_toml",
    "resolved",
    "signals_clean_up",
]

#: The most bytes read from one file (16 MiB). Bundles, manifests and
#: configuration files are a few kilobytes; a larger file is refused.
MAX_FILE_BYTES = reading.MAX_FILE_BYTES

#: How long (seconds) :func:`edit_text` waits for another edit of the same file
#: to finish before it gives up without changing anything.
LOCK_TIMEOUT = editing.LOCK_TIMEOUT
