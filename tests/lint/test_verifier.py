"""Juju's bundle verifier, as bundle-lint runs it: every refusal, where it is, in words."""

from __future__ import annotations

from pathlib import Path

from lpsigning_mojo.lint import LintConfig, lint_paths

BROKEN = """\
applications:
  web:
    num_units: -1
    scale: 2
    expose: true
    exposed-endpoints:
      "":
        expose-to-cidrs: [10.0.0.1/8, 10.0.0.1/33, "10.0.0.0", "::1/128", "fe80::1/64"]
      admin:
        expose-to-cidrs: "not a list"
      public: {}
      other:
        expose-to-cidrs: [banana/8]
  db:
    charm: db
    num_units: 2
    to: [lxd:0, kvm:new, "7", "docker:1", wbe, web/0, db/2, db/x, db/1, db/0/1]
  cache:
    charm: cache
    num_units: 1
    to: lxd:0
  solo:
    charm: solo
    num_units: 1
    to: [cache]
  zero:
    charm: zero
    num_units: 0
machines:
  "0": {}
  "3": {}
  x1: {}
relations:
  - [db, web]
  - [web:db, db:db]
  - [db, dbb]
  - [zzz, qqq]
  - [db, db]
  - [web, db]
  - [web]
  - just-text
  - [db, [nested]]
"""


def verifier_findings(tmp_path: Path, text: str) -> list[tuple[str, int, int, str]]:
    path = tmp_path / "bundle.yaml"
    path.write_text(text)
    report = lint_paths([str(path)], config=LintConfig())
    return [(f.code, f.line, f.column, f.message) for f in report.findings if f.code < "LSM200"]


def test_everything_juju_would_refuse_is_reported_at_its_place(tmp_path: Path) -> None:
    assert verifier_findings(tmp_path, BROKEN) == [
        ("LSM111", 2, 3, "application 'web' has no charm"),
        ("LSM121", 3, 16, "web: num_units is -1; it must be 0 or more"),
        ("LSM122", 4, 5, "web: both scale and num_units are set; keep one"),
        ("LSM123", 6, 5, "web: expose: true and exposed-endpoints are both set"),
        ("LSM124", 8, 39, "web: '10.0.0.1/33' is not a CIDR (ADDRESS/PREFIX)"),
        ("LSM124", 8, 52, "web: '10.0.0.0' is not a CIDR (ADDRESS/PREFIX)"),
        ("LSM124", 13, 27, "web: 'banana/8' is not a CIDR (ADDRESS/PREFIX)"),
        ("LSM118", 17, 9, "db: 10 placements for 2 unit(s)"),
        ("LSM116", 17, 26, "db: placement '7' names machine '7', which the bundle does not define"),
        (
            "LSM116",
            17,
            31,
            "db: placement 'docker:1' names container type 'docker' (Juju knows: kvm, lxd)",
        ),
        (
            "LSM116",
            17,
            43,
            "db: placement 'wbe' names application 'wbe', which the bundle does not define "
            "(did you mean 'web'?)",
        ),
        ("LSM117", 17, 48, "db: placement 'web/0' names unit 0 of web, which has -1 unit(s)"),
        ("LSM117", 17, 55, "db: placement 'db/2' names unit 2 of db, which has 2 unit(s)"),
        ("LSM117", 17, 61, "db: placement 'db/x' names unit x of db, which has 2 unit(s)"),
        ("LSM117", 17, 73, "db: placement 'db/0/1' names unit 0/1 of db, which has 2 unit(s)"),
        ("LSM119", 31, 3, "machine '3' is defined but no placement uses it"),
        ("LSM120", 32, 3, "machine id 'x1' is not a number"),
        (
            "LSM113",
            36,
            10,
            "relation names application 'dbb', which the bundle does not define "
            "(did you mean 'db'?)",
        ),
        ("LSM113", 37, 6, "relation names application 'zzz', which the bundle does not define"),
        ("LSM113", 37, 11, "relation names application 'qqq', which the bundle does not define"),
        ("LSM114", 38, 5, "relation relates 'db' to itself"),
        ("LSM115", 39, 5, "relation web - db is already defined at line 34"),
        ("LSM112", 40, 5, "a relation needs exactly two endpoints, not 1"),
        ("LSM112", 41, 5, "a relation needs exactly two endpoints, not 1"),
        ("LSM112", 42, 5, "a relation needs exactly two endpoints, not 2"),
    ]


def test_a_bundle_without_applications_says_so_at_the_key_or_the_start(tmp_path: Path) -> None:
    assert verifier_findings(tmp_path, "series: jammy\napplications: {}\n") == [
        ("LSM110", 2, 1, "the bundle defines no applications"),
    ]
    assert verifier_findings(tmp_path, "series: jammy\n") == [
        ("LSM110", 1, 1, "the bundle defines no applications"),
    ]


def test_a_relation_of_an_unknown_application_to_itself_is_reported_once_as_unknown(
    tmp_path: Path,
) -> None:
    text = "applications:\n  a: {charm: ./a}\nrelations:\n  - [zzz, zzz]\n"
    assert verifier_findings(tmp_path, text) == [
        ("LSM113", 4, 6, "relation names application 'zzz', which the bundle does not define"),
        ("LSM113", 4, 11, "relation names application 'zzz', which the bundle does not define"),
    ]
