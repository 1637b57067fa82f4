"""Small builders shared by the lint tests."""

from __future__ import annotations

from pathlib import Path

CLEAN = "applications:\n  nrpe:\n    charm: nrpe\n    channel: latest/stable\n    revision: 125\n"


def make_spec(
    root: Path,
    *,
    bundle: str = CLEAN,
    manifest: str = "bundle config=bundle.yaml local=deploy-secrets\n",
    stages: tuple[str, ...] = ("production", "staging"),
    name: str = "spec",
) -> Path:
    """A spec directory under ``root`` with a bundle, a manifest and stage directories.

    Each stage directory holds a file, as in git (which keeps no empty
    directory): a directory without files is not a stage.
    """
    spec = root / name
    spec.mkdir(parents=True)
    (spec / "bundle.yaml").write_text(bundle, encoding="utf-8")
    (spec / "manifest").write_text(manifest, encoding="utf-8")
    for stage in stages:
        (spec / stage).mkdir()
        (spec / stage / "README").write_text(f"The {stage} stage.\n", encoding="utf-8")
    return spec
