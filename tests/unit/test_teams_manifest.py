"""The Teams app package: a manifest valid against the 1.25 schema, command
lists that match the commands' own help, and icons Teams accepts."""

from __future__ import annotations

import io
import json
import struct
import uuid
import zipfile
import zlib
from typing import Any

import pytest
from jsonschema import Draft4Validator

from bot.policy import Policy
from commands import catalogue
from integrations.teams.manifest import (
    MANIFEST_SCHEMA,
    build_manifest,
    build_package,
    manifest_id,
    package_version,
)
from tests.schemas import load as load_schema

APP_ID = "0b4f6a52-3c1d-4e8f-9a7b-2d5c6e8f0a1b"
PUBLIC_URL = "https://teamaround.example.nhs.uk/"
COMMANDS = catalogue.neutral()
# What each command's help says in chat.
HELP = {c.name: catalogue.help_lines(c, Policy()) for c in catalogue.COMMANDS}


def validate(manifest: dict[str, Any]) -> None:
    schema = load_schema("teams-manifest.schema.1.25.json")
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    # The schema's own regexes use ECMAScript's \p{L}, which Python's re cannot
    # compile, so the meta-check skips "format": "regex" (none of them apply to us).
    Draft4Validator.check_schema(schema, format_checker=None)
    errors = sorted(Draft4Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def read_png(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, colour type and the unfiltered pixel bytes of a PNG
    (8-bit, filter type 0 rows, as ours are), checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, compression, filtering, interlace) == (8, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    channels = {2: 3, 6: 4}[colour]
    stride = width * channels + 1
    assert len(raw) == stride * height
    assert all(raw[row * stride] == 0 for row in range(height))
    pixels = b"".join(raw[row * stride + 1 : (row + 1) * stride] for row in range(height))
    return width, height, colour, pixels


def package_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


# -- the manifest ----------------------------------------------------------------------------------


def test_the_manifest_is_valid_against_the_1_25_schema() -> None:
    manifest = build_manifest(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS)

    validate(manifest)
    assert manifest["$schema"] == MANIFEST_SCHEMA
    assert MANIFEST_SCHEMA.endswith("/teams/v1.25/MicrosoftTeams.schema.json")
    assert manifest["manifestVersion"] == "1.25"
    assert manifest["version"] == package_version()


def test_the_manifest_id_is_a_stable_guid_of_its_own() -> None:
    first = build_manifest(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS)["id"]

    assert first == manifest_id(APP_ID) == manifest_id(APP_ID.upper())
    assert str(uuid.UUID(first)) == first and first != APP_ID
    assert uuid.UUID(first).version == 5
    other = manifest_id("11111111-2222-3333-4444-555555555555")
    assert other != first


def test_the_bot_and_the_urls() -> None:
    manifest = build_manifest(
        app_id=APP_ID.upper(), public_url=PUBLIC_URL, version="2.3.4", commands=COMMANDS
    )

    assert manifest["version"] == "2.3.4"
    assert manifest["developer"] == {
        "name": "Teamaround",
        "websiteUrl": "https://teamaround.example.nhs.uk",
        "privacyUrl": "https://teamaround.example.nhs.uk/privacy",
        "termsOfUseUrl": "https://teamaround.example.nhs.uk/terms",
    }
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID  # normalised to lower case
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["isNotificationOnly"] is False and bot["supportsFiles"] is False
    assert manifest["validDomains"] == ["teamaround.example.nhs.uk"]
    assert manifest["webApplicationInfo"] == {
        "id": APP_ID,
        "resource": f"api://teamaround.example.nhs.uk/{APP_ID}",
    }
    assert manifest["supportsChannelFeatures"] == "tier1"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert manifest["accentColor"] == "#1D4E89"
    assert manifest["name"]["short"] == "Teamaround"
    assert len(manifest["description"]["short"]) <= 80


def test_privacy_and_terms_can_point_elsewhere() -> None:
    manifest = build_manifest(
        app_id=APP_ID,
        public_url=PUBLIC_URL,
        privacy_url="https://icb.example.nhs.uk/privacy",
        terms_url="https://icb.example.nhs.uk/terms",
        commands=COMMANDS,
    )

    validate(manifest)
    assert manifest["developer"]["privacyUrl"] == "https://icb.example.nhs.uk/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == "https://icb.example.nhs.uk/terms"


@pytest.mark.parametrize(
    "public_url", ["http://localhost:3000", "teamaround.example.org", "https://", ""]
)
def test_teams_needs_a_public_https_address(public_url: str) -> None:
    with pytest.raises(ValueError, match="TEAMAROUND_PUBLIC_URL"):
        build_manifest(app_id=APP_ID, public_url=public_url, commands=COMMANDS)


@pytest.mark.parametrize("app_id", ["", "not-a-guid", "28:0b4f6a52"])
def test_the_app_id_must_be_a_guid(app_id: str) -> None:
    with pytest.raises(ValueError, match="MICROSOFT_APP_ID"):
        build_manifest(app_id=app_id, public_url=PUBLIC_URL, commands=COMMANDS)


# -- command lists ---------------------------------------------------------------------------------


def test_command_lists_respect_the_1_25_limits() -> None:
    [bot] = build_manifest(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS)["bots"]
    lists = bot["commandLists"]

    assert len(lists) <= 3
    assert [cl["scopes"] for cl in lists] == [["team"], ["groupChat"], ["personal"]]
    for command_list in lists:
        commands = command_list["commands"]
        assert 0 < len(commands) <= 12
        titles = [c["title"] for c in commands]
        assert len(set(titles)) == len(titles)
        for command in commands:
            assert 0 < len(command["title"]) <= 128
            assert 0 < len(command["description"]) <= 4000


def listed() -> list[tuple[str, str]]:
    [bot] = build_manifest(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS)["bots"]
    return [(c["title"], c["description"]) for cl in bot["commandLists"] for c in cl["commands"]]


@pytest.mark.parametrize("command", listed(), ids=lambda c: c[0])
def test_every_listed_command_is_a_real_sub_command_as_its_help_says(
    command: tuple[str, str],
) -> None:
    title, description = command
    name = title.split()[0]

    assert description.startswith(title)
    # The description is the help line as in chat (who may run it aside).
    assert any(line.startswith(f"/{description}") for line in HELP[name]), description


def test_the_lists_cover_all_four_commands() -> None:
    named = {title.split()[0] for title, _ in listed()}

    assert named == {"network", "action", "cetr", "dsr"}


# -- the package ---------------------------------------------------------------------------------


def test_the_package_holds_exactly_the_manifest_and_two_icons() -> None:
    files = package_files(build_package(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS))

    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(files["manifest.json"])
    validate(manifest)
    assert manifest == build_manifest(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS)


def test_the_package_is_the_same_bytes_every_time() -> None:
    first = build_package(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS)

    assert build_package(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS) == first


def test_the_colour_icon_is_192_pixels_full_colour() -> None:
    files = package_files(build_package(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS))
    width, height, colour, pixels = read_png(files["color.png"])

    assert (width, height, colour) == (192, 192, 2)  # RGB, no transparency
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3)}
    assert bytes((0x1D, 0x4E, 0x89)) in colours and b"\xff\xff\xff" in colours
    assert pixels[:3] == bytes((0x1D, 0x4E, 0x89))  # the corner is the accent colour


def test_the_outline_icon_is_32_pixels_white_on_transparent() -> None:
    files = package_files(build_package(app_id=APP_ID, public_url=PUBLIC_URL, commands=COMMANDS))
    width, height, colour, pixels = read_png(files["outline.png"])

    assert (width, height, colour) == (32, 32, 6)  # RGBA
    rgba = [pixels[i : i + 4] for i in range(0, len(pixels), 4)]
    assert all(p[:3] == b"\xff\xff\xff" for p in rgba)  # only white
    alphas = [p[3] for p in rgba]
    assert alphas[0] == 0 and alphas[-1] == 0  # transparent corners
    assert max(alphas) == 255 and sum(a == 0 for a in alphas) > len(alphas) // 3
