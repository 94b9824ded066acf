"""Every example in the README's "Editing, API keys and the audit trail" section, run as written:
the `atlas keys` commands through the CLI, each `curl` through the app, and each hours rule given
inline as a PATCH."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from tests.service.editing import cleanup_edits

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Editing, API keys and the audit trail"
KEY_NAMES = ["Jackson County clerk", "state team"]  # the names the README's commands give


def _section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end]


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", _section(), re.S)


def _commands(block: str) -> list[list[str]]:
    """Shell lines as argument lists: `\\` continues a line, and so does an open quote."""
    commands, pending = [], ""
    for line in block.splitlines():
        pending += line + "\n"
        if pending.rstrip().endswith("\\"):
            pending = pending.rstrip()[:-1] + " "
            continue
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if words:
            commands.append(words)
        pending = ""
    assert not pending.strip(), f"unfinished command in the README: {pending!r}"
    return commands


def _inline_rules() -> list[dict]:
    """The hours rules the section gives inline, as `{...}` code spans."""
    spans = re.findall(r"`(\{.*?\})`", _section(), re.S)
    return [rule for rule in map(json.loads, spans) if "opens_at" in rule]


def _atlas(settings, args: list[str]) -> str:
    assert args[0] == "atlas"
    result = CliRunner().invoke(cli, args[1:], env={"ATLAS_DATABASE_URL": settings.url()})
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.fixture
def clean_keys(settings, committed_conn) -> Iterator[None]:
    cleanup_edits(committed_conn, KEY_NAMES)
    yield
    cleanup_edits(committed_conn, KEY_NAMES)


def _curl(client, words: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    """One `curl` from the README, through the app: -X, -H and -d as curl reads them."""
    expand = [re.sub(r"\$(\w+)", lambda m: env[m[1]], w) for w in words]
    method, headers, data, url = None, {}, None, None
    args = iter(expand[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, value = next(args).split(":", 1)
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = next(args)
        else:
            assert url is None and arg.startswith("http"), f"a curl option this test does not know: {arg}"
            url = arg
    assert url is not None
    path = re.sub(r"^https?://[^/]+", "", url)
    return client.request(method or ("POST" if data else "GET"), path, headers=headers, content=data)


def _rule(sent: dict) -> dict:
    """A rule as the API gives it back: the defaults filled in, days as the importer writes them."""
    return {"freq": "WEEKLY", "byday": "", "bymonthday": None, "valid_from": None, "valid_to": None,
            "description": None, **sent}


def test_every_example_in_the_readmes_editing_section_works_as_written(settings, client, clean_keys):
    keys_block, curl_block = _shell_blocks()
    key_commands = _commands(keys_block)
    assert [c[:3] for c in key_commands] == [["atlas", "keys", "create"]] * 2 + [["atlas", "keys", "list"],
                                                                                ["atlas", "keys", "revoke"]]
    # The two keys, each printed once as the last line of its command's output.
    env = {"KEY": _atlas(settings, key_commands[0]).splitlines()[-1],
           "ADMIN_KEY": _atlas(settings, key_commands[1]).splitlines()[-1]}
    listed = _atlas(settings, key_commands[2])
    assert all(name in listed for name in KEY_NAMES) and env["KEY"] not in listed

    responses = []
    for words in _commands(curl_block):
        if words[0] != "curl":
            name, value = words[0].split("=", 1)  # a shell variable, such as API
            env[name] = value
            continue
        r = _curl(client, words, env)
        assert r.status_code in (200, 201), (words, r.text)
        responses.append(r.json())
        if r.request.method == "POST" and r.request.url.path == "/api/services":
            env["ID"] = r.json()["id"]
        if r.request.url.path == "/api/audit":  # restore the first change of hours
            env["VERSION"] = str([e for e in r.json()["items"] if e["action"] == "update"][-1]["id"])
    created, weekly, monthly, retired, history, restored = responses
    assert created["phones"] == ["(816) 555-0142"] and created["languages"] == ["en", "es"]
    assert weekly["hours"] == [_rule({"byday": "MO,TU,WE", "opens_at": "09:00", "closes_at": "17:00"})]
    assert [h["freq"] for h in monthly["hours"]] == ["MONTHLY", "MONTHLY"]
    assert monthly["hours"][1] == _rule({"freq": "MONTHLY", "bymonthday": "1,15", "opens_at": "09:00",
                                         "closes_at": "11:00"})
    assert retired["retired_at"] is not None
    assert [e["action"] for e in history["items"]] == ["retire", "update", "update", "create"]
    assert restored["retired_at"] is None and restored["hours"] == weekly["hours"]

    rules = _inline_rules()
    assert len(rules) == 3
    for rule in rules:
        r = client.patch(f"/api/services/{env['ID']}", json={"hours": [rule]}, headers={"X-API-Key": env["KEY"]})
        assert r.status_code == 200, (rule, r.text)
        assert r.json()["hours"] == [_rule(rule)]

    # `atlas keys revoke 3`: by id, here the editor key's (the README's 3 is whatever `list` showed).
    revoke = key_commands[3]
    editor_id = next(line.split("\t")[0] for line in listed.splitlines() if KEY_NAMES[0] in line)
    _atlas(settings, [*revoke[:-1], editor_id])
    r = client.patch(f"/api/services/{env['ID']}", json={"hours": []}, headers={"X-API-Key": env["KEY"]})
    assert r.status_code == 401
