"""Subcommands of the ``lpsigning-mojo`` CLI, one module per area.

Each module defines ``register(subparsers)``. Handlers stay thin: they parse,
call the library, and print.
"""
