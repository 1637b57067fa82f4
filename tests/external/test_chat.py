"""The Mattermost webhook client against the stand-in; the hook URL never shows."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterator

import pytest

from lpsigning_mojo.errors import (
    ChatConfigError,
    ChatError,
    ChatRejectedError,
    ChatUnavailableError,
)
from lpsigning_mojo.external.chat import Chat, MattermostWebhook
from lpsigning_mojo.testing import FakeChat, UnexpectedCallError
from lpsigning_mojo.testing.standins.mattermost import MODES, MattermostStandIn, Post


@pytest.fixture
def chat() -> Iterator[MattermostStandIn]:
    with MattermostStandIn(slow_seconds=10) as standin:
        yield standin
    assert not standin.errors


def hook(chat: MattermostStandIn, **options: object) -> MattermostWebhook:
    options.setdefault("timeout", 2.0)
    return MattermostWebhook(chat.hook_url, **options)  # type: ignore[arg-type]


def everything_said(error: BaseException) -> str:
    """The error's str, repr, args and formatted traceback, and those of its chain."""
    said = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        said += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(said)


def test_a_post_sends_the_webhook_json_and_succeeds_on_ok(chat: MattermostStandIn) -> None:
    hook(chat).post("Rolling out lp-signing r90", channel="~is-outage", username="releaser")
    assert chat.posts == [
        Post(
            text="Rolling out lp-signing r90",
            channel="is-outage",
            username="releaser",
            payload={
                "text": "Rolling out lp-signing r90",
                "channel": "is-outage",
                "username": "releaser",
            },
            content_type="application/json",
        )
    ]


def test_channel_and_username_are_optional_and_have_defaults(chat: MattermostStandIn) -> None:
    client = hook(chat, channel="is-outage")
    client.post("one")
    client.post("two", channel="lp-signing", username="bot")
    hook(chat).post("three")
    assert [post.payload for post in chat.posts] == [
        {"text": "one", "channel": "is-outage"},
        {"text": "two", "channel": "lp-signing", "username": "bot"},
        {"text": "three"},
    ]


def test_an_empty_message_is_refused_before_sending(chat: MattermostStandIn) -> None:
    with pytest.raises(ChatConfigError, match="needs some text"):
        hook(chat).post("  \n")
    assert chat.posts == []


@pytest.mark.parametrize(
    ("mode", "kind", "maybe_posted", "message"),
    [
        (
            "500",
            ChatUnavailableError,
            False,
            "Mattermost failed to post the message (HTTP 500: 'Unable to create post.')",
        ),
        (
            "502",
            ChatUnavailableError,
            True,
            "Mattermost failed to post the message (HTTP 502: '<html>502 Bad Gateway</html>')",
        ),
        (
            "403",
            ChatRejectedError,
            False,
            "Mattermost refused the message (HTTP 403: 'Webhooks disabled.')",
        ),
        (
            "not-ok",
            ChatRejectedError,
            True,
            "<webhook URL> answered 200 but not 'ok' ('<html>a login page</html>')",
        ),
        (
            "reset",
            ChatUnavailableError,
            True,
            "The message may not have been posted: the connection to <webhook URL> failed",
        ),
        (
            "endless",
            ChatRejectedError,
            True,
            "The message may not have been posted: <webhook URL> sent a body of more than 65536",
        ),
        (
            "redirect-off-host",
            ChatRejectedError,
            False,
            "The message was not posted: <webhook URL> redirected (HTTP 307) to http://127.0.0.2:{port}",
        ),
    ],
)
def test_each_failure_is_one_clear_error(
    chat: MattermostStandIn,
    mode: str,
    kind: type[ChatError],
    maybe_posted: bool,
    message: str,
) -> None:
    chat.mode = mode
    with pytest.raises(kind) as caught:
        hook(chat).post("hello")
    assert str(caught.value).startswith(message.replace("{port}", str(chat.port)))
    assert caught.value.maybe_posted is maybe_posted
    assert len(chat.posts) == 1


def test_a_slow_hook_costs_the_timeout_and_may_have_posted(chat: MattermostStandIn) -> None:
    chat.mode = "slow"
    started = time.monotonic()
    with pytest.raises(ChatUnavailableError) as caught:
        hook(chat, timeout=0.3).post("hello")
    assert time.monotonic() - started < 1.5
    assert str(caught.value) == (
        "The message may not have been posted: <webhook URL> sent no complete answer within "
        "0.3 s. Look in the channel before posting again."
    )
    assert caught.value.maybe_posted
    assert [post.text for post in chat.delivered] == ["hello"]


def test_a_hook_nobody_listens_on_was_not_posted(chat: MattermostStandIn) -> None:
    url = chat.hook_url
    chat.close()
    with pytest.raises(ChatUnavailableError) as caught:
        MattermostWebhook(url, timeout=1).post("hello")
    assert not caught.value.maybe_posted
    assert str(caught.value).startswith("The message was not posted: <webhook URL> refused")


def test_a_deleted_hook_is_refused(chat: MattermostStandIn) -> None:
    with pytest.raises(ChatRejectedError) as caught:
        MattermostWebhook(chat.url + "hooks/deletedhook0000000000000", timeout=2).post("x")
    assert str(caught.value).startswith(
        "Mattermost refused the message (HTTP 400: 'Invalid webhook.')"
    )
    assert caught.value.status == 400


def test_one_post_is_one_request_even_when_it_fails(chat: MattermostStandIn) -> None:
    chat.queue("500")
    client = hook(chat)
    with pytest.raises(ChatUnavailableError):
        client.post("first")
    client.post("second")
    assert [(post.text, post.mode) for post in chat.posts] == [("first", "500"), ("second", "ok")]
    assert [post.text for post in chat.delivered] == ["second"]


@pytest.mark.parametrize("mode", [mode for mode in MODES if mode != "ok"])
def test_the_hook_url_never_appears_in_any_error(
    chat: MattermostStandIn, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat.mode = mode
    client = hook(chat, timeout=0.3)
    with pytest.raises(ChatError) as caught:
        client.post("hello")
    said = everything_said(caught.value) + repr(client) + str(client) + caplog.text
    assert chat.hook_key not in said
    assert chat.hook_url not in said


@pytest.mark.parametrize(
    "url",
    [
        "ftp://chat.example/hooks/SECRETKEY0000",
        "http://[::1/hooks/SECRETKEY0000",
        "hooks/SECRETKEY0000",
    ],
)
def test_an_unusable_hook_url_is_refused_without_naming_it(url: str) -> None:
    with pytest.raises(ChatConfigError) as caught:
        MattermostWebhook(url)
    assert "SECRETKEY" not in everything_said(caught.value)
    assert str(caught.value).startswith("The Mattermost webhook URL is unusable: <webhook URL>")


def test_the_client_does_not_show_its_url(chat: MattermostStandIn) -> None:
    client = hook(chat, channel="is-outage")
    assert repr(client) == "MattermostWebhook(<webhook URL>, channel='is-outage', username=None)"
    assert chat.hook_key not in str(client) + format(client)


def test_the_fake_chat_is_strict() -> None:
    fake: Chat = FakeChat()
    strict = FakeChat()
    strict.expect_post("hello", channel="is-outage")
    with pytest.raises(UnexpectedCallError) as caught:
        strict.post("hello")
    assert str(caught.value) == (
        "FakeChat.post('hello') was not expected; "
        "still expected: post('hello', channel='is-outage')"
    )
    strict.post("hello", channel="is-outage")
    assert strict.posts == [("hello", "is-outage", None)]
    strict.verify()
    failing = FakeChat()
    failing.expect_post("x", error=ChatUnavailableError("down", maybe_posted=True))
    with pytest.raises(ChatUnavailableError):
        failing.post("x")
    with pytest.raises(UnexpectedCallError):
        fake.post("anything")
