"""Subcommands of the ``lpsigning-mojo`` CLI, one module per area.

Each module defines ``register(subparsers)``. Handlers stay thin: they parse,
call the library (:mod:`lpsigning_mojo.release` for anything the release
engine will do too), and render its result: text for people, or the
result's ``to_json()`` for ``--format json``. Shared pieces: ``_spec``
(``--spec DIR`` and the spec it resolves to), ``_table`` (tables and JSON);
long remote commands show progress with :mod:`lpsigning_mojo.runbook.progress`.
"""
