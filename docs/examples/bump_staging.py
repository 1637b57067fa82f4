"""Bump staging to the latest lp-signing charm revision, and print the diff.

Run it from the top of the spec's repository. It writes nothing.
"""

from lpsigning_mojo.bundle import diff_templates
from lpsigning_mojo.external.charmhub import CharmhubClient
from lpsigning_mojo.mojospec import Spec
from lpsigning_mojo.release.revisions import bump_revision

spec = Spec.load("spec/lp-signing")
text = spec.read_bundle()
bump = bump_revision(text, "lp-signing", stage="staging", charmhub=CharmhubClient(), spec=spec)

print(f"Latest in {bump.choice.source.describe()}: revision {bump.choice.revision}")
print(bump.edit.diff(), end="")
print("\n".join(diff_templates(text, bump.edit.text, stage="staging").lines()))
