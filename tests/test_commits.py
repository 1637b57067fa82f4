"""Commit messages: the format, building, checking, and the one parser of ``LP: #N`` references."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lpsigning_mojo.commits import (
    SUMMARY_LIMIT,
    CommitMessage,
    MessageProblem,
    bug_references,
    build_message,
    check_message,
    parse_message,
    reverted_commit,
)
from lpsigning_mojo.errors import CommitMessageError, LpsigningMojoError

# -- finding bug references -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bugs"),
    [
        ("LP: #123", (123,)),
        ("lp: #1", (1,)),
        ("Lp:\t#1", (1,)),
        ("LP: #1, #2,#3", (1, 2, 3)),
        ("LP: #1\nLP: #2, #1", (1, 2)),
        ("Fix the signer (LP: #2034567).", (2034567,)),
        ("LP: #1 and #2", (1,)),
        ("LP: #1, 2", (1,)),
        ("LP #12", ()),
        ("LP: 12", ()),
        ("LP: #abc", ()),
        ("LP:#12", ()),
        ("LP:\n#12", ()),
        ("HELP: #12", ()),
        ("LP: #12abc", ()),
        ("LP: #\u0663", ()),  # an Arabic-Indic digit is not a bug number
        ("", ()),
    ],
)
def test_bug_references(text: str, bugs: tuple[int, ...]) -> None:
    assert bug_references(text) == bugs


def test_reverted_commit() -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    message = f'Revert "Bump"\n\nThis reverts commit {commit}.\n'
    assert reverted_commit(message) == commit
    assert reverted_commit("Bump\n") is None


# -- building ---------------------------------------------------------------


def test_build_lays_out_summary_body_bugs_and_trailers() -> None:
    message = build_message(
        "Upgrade lp-signing charm to revision 90 on staging",
        ["staging: lp-signing revision 89 -> 90", "", "Second paragraph."],
        bugs=[2034567, 2034568, 2034567],
        trailers={"Gate-Override": "staging-health by alice: probe flaky"},
    )
    assert message == (
        "Upgrade lp-signing charm to revision 90 on staging\n"
        "\n"
        "staging: lp-signing revision 89 -> 90\n"
        "\n"
        "Second paragraph.\n"
        "\n"
        "LP: #2034567, #2034568\n"
        "Gate-Override: staging-health by alice: probe flaky\n"
    )
    assert check_message(message) == ()
    assert parse_message(message) == CommitMessage(
        summary="Upgrade lp-signing charm to revision 90 on staging",
        body="staging: lp-signing revision 89 -> 90\n\nSecond paragraph.",
        bugs=(2034567, 2034568),
        trailers=(("Gate-Override", "staging-health by alice: probe flaky"),),
    )


def test_build_with_a_summary_only() -> None:
    assert build_message("  Tidy\n the   spec ") == "Tidy the spec\n"


def test_a_long_summary_is_shortened_and_kept_whole_in_the_body() -> None:
    summary = " ".join(["word"] * 30)
    message = build_message(summary, ["Details."])
    first, blank, *rest = message.split("\n")
    assert len(first) <= SUMMARY_LIMIT
    assert first.endswith("...")
    assert summary.startswith(first[:-3])
    assert blank == ""
    assert rest[0] == summary
    assert check_message(message) == ()


def test_a_long_summary_without_spaces_is_cut() -> None:
    message = build_message("x" * 200)
    assert message.split("\n")[0] == "x" * (SUMMARY_LIMIT - 3) + "..."


def test_many_bugs_wrap_onto_several_lines() -> None:
    bugs = list(range(2_000_000, 2_000_030))
    message = build_message("Bump", bugs=bugs)
    lines = [line for line in message.split("\n") if line.startswith("LP:")]
    assert len(lines) > 1
    assert all(len(line) <= SUMMARY_LIMIT for line in lines)
    assert bug_references(message) == tuple(bugs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"summary": " \n "}, "needs a summary"),
        ({"summary": "Fix it (LP: #1)"}, "names bugs itself"),
        ({"summary": "Bump", "body": ["LP: #4"]}, "names bugs itself"),
        ({"summary": "Bump", "body": ["LP #4"]}, "line 3: 'LP #4' is not a bug line"),
        ({"summary": "Bump", "bugs": [0]}, "not a Launchpad bug number"),
        ({"summary": "Bump", "bugs": [True]}, "not a Launchpad bug number"),
        ({"summary": "Bump", "bugs": ["12"]}, "not a Launchpad bug number"),
        ({"summary": "Bump", "trailers": {"LP": "#1"}}, "not a trailer key"),
        ({"summary": "Bump", "trailers": {"Bad key": "x"}}, "not a trailer key"),
        ({"summary": "Bump", "trailers": {"Key": " "}}, "has no value"),
        ({"summary": "Bump", "trailers": {"Key": "see LP: #3"}}, "names bugs itself"),
    ],
)
def test_build_refuses_what_would_break_the_format(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(CommitMessageError, match=match) as error:
        build_message(**kwargs)  # type: ignore[arg-type]
    assert isinstance(error.value, LpsigningMojoError)
    assert str(error.value).endswith(".")


# -- checking ---------------------------------------------------------------


def test_a_good_message_has_no_problems() -> None:
    assert check_message("Bump\n\nBody (LP: #3)\n\nLP: #1, #2\n") == ()
    assert check_message("Bump\n") == ()
    assert check_message("\n\nBump\n") == ()  # git drops leading blank lines


def test_every_problem_with_its_line() -> None:
    text = "x" * 80 + "\nno blank line\nLP #12\nLP: 12\nLP: #abc\nLP:#1\nLP: #1, #2\nlp 7\n"
    problems = check_message(text)
    assert [(p.code, p.line, p.column) for p in problems] == [
        ("summary-too-long", 1, 73),
        ("no-blank-line", 2, 1),
        ("malformed-bug-line", 3, 1),
        ("malformed-bug-line", 4, 1),
        ("malformed-bug-line", 5, 1),
        ("malformed-bug-line", 6, 1),
        ("malformed-bug-line", 8, 1),
    ]
    assert "has 80 characters" in problems[0].message


def test_an_empty_message() -> None:
    assert check_message("\n \n") == (
        MessageProblem(code="empty-message", message="the message is empty", line=1),
    )


def test_a_hook_message_file_ignores_comments_and_everything_after_the_scissors() -> None:
    text = (
        "# Please enter the commit message\n"
        "Bump\n"
        "# a comment between\n"
        "\n"
        "LP: #1\n"
        "# ------------------------ >8 ------------------------\n"
        "LP #broken, but below the scissors\n"
    )
    assert check_message(text, comment_char="#") == ()
    problems = check_message("Bump\n# c\nLP #1\n", comment_char="#")
    assert [(p.code, p.line) for p in problems] == [
        ("no-blank-line", 3),
        ("malformed-bug-line", 3),
    ]


def test_carriage_returns_do_not_hide_a_good_line() -> None:
    assert check_message("Bump\r\n\r\nLP: #1\r\n") == ()


# -- parsing ----------------------------------------------------------------


def test_parse_a_message_without_trailers() -> None:
    parsed = parse_message("Summary\n\nFirst.\n\nSecond (LP: #5).\n")
    assert parsed == CommitMessage(
        summary="Summary", body="First.\n\nSecond (LP: #5).", bugs=(5,), trailers=()
    )


# -- properties -------------------------------------------------------------

_words = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30)
_bugs = st.lists(st.integers(min_value=1, max_value=10**9), max_size=40)


def _has_lp(text: str) -> bool:
    return "lp" in text.lower()


@given(
    summary=st.lists(_words, min_size=1, max_size=30).map(" ".join),
    body=st.lists(_words, max_size=8),
    bugs=_bugs,
)
def test_build_then_parse_round_trips_the_bugs(
    summary: str, body: list[str], bugs: list[int]
) -> None:
    assume(summary.split())
    assume(not _has_lp(summary) and not any(_has_lp(line) for line in body))
    message = build_message(summary, body, bugs=bugs)
    assert parse_message(message).bugs == tuple(dict.fromkeys(bugs))
    assert check_message(message) == ()


@given(summary=st.text(min_size=1, max_size=400), bugs=_bugs)
def test_built_summaries_never_exceed_the_limit(summary: str, bugs: list[int]) -> None:
    try:
        message = build_message(summary, bugs=bugs)
    except CommitMessageError:
        return  # refused (empty, or text that names bugs): nothing was built
    assert len(message.split("\n")[0]) <= SUMMARY_LIMIT
    assert parse_message(message).summary == message.split("\n")[0]


_malformed = st.sampled_from(
    ["LP #{n}", "LP: {n}", "LP: #abc", "LP:#{n}", "lp {n}", "LP: #{n}x", "HELP: #{n}"]
)
_noise = st.text(alphabet="abcdefghijkmnoqrstuvwxyz #:,0123456789.\t", max_size=40)


@given(
    lines=st.lists(
        st.one_of(
            st.tuples(st.just("good"), st.lists(st.integers(1, 10**7), min_size=1, max_size=4)),
            st.tuples(st.just("bad"), st.tuples(_malformed, st.integers(1, 10**7))),
            st.tuples(st.just("noise"), _noise),
        ),
        max_size=20,
    ),
    case=st.sampled_from(["LP", "lp", "Lp"]),
)
def test_the_parser_finds_exactly_the_well_formed_references(
    lines: list[tuple[str, object]], case: str
) -> None:
    text_lines = []
    expected: dict[int, None] = {}
    for kind, value in lines:
        if kind == "good":
            assert isinstance(value, list)
            text_lines.append(f"{case}: " + ", ".join(f"#{n}" for n in value))
            expected.update(dict.fromkeys(value))
        elif kind == "bad":
            assert isinstance(value, tuple)
            template, number = value
            text_lines.append(template.format(n=number))
        else:
            assert isinstance(value, str)
            text_lines.append(value)  # no "l" in the alphabet: it cannot spell LP
    assert bug_references("\n".join(text_lines)) == tuple(expected)
