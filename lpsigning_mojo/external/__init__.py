"""Adapters for outside systems, one module each, each behind a Protocol.

Every subprocess, socket and HTTP call of a system goes through one private
method of one class here. Modules in this package never import each other.
"""
