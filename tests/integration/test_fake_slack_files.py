"""The fake Slack's file upload (files_upload_v2's three steps), driven only
through the real slack_sdk client, with Slack's errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.base_url)


async def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call  # type: ignore[misc]
    return str(caught.value.response["error"])


async def test_files_upload_v2_shares_files_in_a_thread(slack: FakeSlack) -> None:
    channel = slack.add_channel("dsr-review", is_private=True)
    web = client(slack)
    parent = await web.chat_postMessage(channel=channel, text="The report")
    done = await web.files_upload_v2(
        file_uploads=[
            {"filename": "a.csv", "content": b"x,y\n", "title": "A"},
            {"filename": "b.png", "content": b"\x89PNG...", "alt_txt": "a picture"},
        ],
        channel=channel,
        thread_ts=parent["ts"],
    )
    assert [f["title"] for f in done["files"]] == ["A", "b.png"]
    files = slack.files_in(channel, thread_ts=parent["ts"])
    assert [(f.name, f.content) for f in files] == [("a.csv", b"x,y\n"), ("b.png", b"\x89PNG...")]
    assert files[1].alt_txt == "a picture"
    replies = await web.conversations_replies(channel=channel, ts=parent["ts"])
    assert [f["name"] for f in replies["messages"][1]["files"]] == ["a.csv", "b.png"]
    history = await web.conversations_history(channel=channel)
    assert len(history["messages"]) == 1  # thread replies are not in the history


async def test_upload_errors_are_slacks(slack: FakeSlack) -> None:
    web = client(slack)
    mine = slack.add_channel("mine")
    theirs = slack.add_channel("theirs", bot_member=False)
    assert await error_of(web.api_call("files.getUploadURLExternal", params={"filename": "a"})) == (
        "invalid_arguments"
    )
    url = await web.files_getUploadURLExternal(filename="a.csv", length=3)
    file_id = url["file_id"]
    complete = web.files_completeUploadExternal
    # Not uploaded yet, then unknown.
    assert await error_of(complete(files=[{"id": file_id}], channel_id=mine)) == "file_not_found"
    assert await error_of(complete(files=[{"id": "F404"}], channel_id=mine)) == "file_not_found"
    async with aiohttp.ClientSession() as http:
        async with http.post(url["upload_url"], data=b"x,y") as answer:
            assert answer.status == 200 and await answer.text() == "OK - 3"
        async with http.post(f"{slack.url}/upload/v1/nope", data=b"x") as answer:
            assert answer.status == 404
    assert await error_of(complete(files=[{"id": file_id}], channel_id=theirs)) == "not_in_channel"
    assert await error_of(complete(files=[{"id": file_id}], channel_id="C404")) == (
        "channel_not_found"
    )
    assert await error_of(
        complete(files=[{"id": file_id}], channel_id=mine, thread_ts="1700000000.000001")
    ) == ("thread_not_found")
    assert await error_of(
        web.api_call("files.completeUploadExternal", params={"files": json.dumps({"id": 1})})
    ) == ("invalid_arguments")
    await complete(files=[{"id": file_id, "title": "Figures"}], channel_id=mine)
    assert await error_of(complete(files=[{"id": file_id}], channel_id=mine)) == "file_not_found"
    assert [f.title for f in slack.files_in(mine)] == ["Figures"]
