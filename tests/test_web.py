"""Tests for the web app (web/app.py, store.py, security.py, server.py) through Flask's test client:
every route, and every error a request can cause."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from transferlaw import api
from transferlaw.tools import steps
from transferlaw.web import create_app
from transferlaw.web import security
from transferlaw.web.server import is_local
from transferlaw.web.store import Store

from .conftest import MINI_RULES
from .conftest import ROOT
from .test_security import active_html
from .test_security import active_markdown

TODAY = dt.date(2026, 3, 1)


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    return create_app(state_dir=tmp_path / "state", today=lambda: TODAY)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def token(client: FlaskClient) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").get_data(as_text=True))
    assert found
    return found.group(1)


def start(client: FlaskClient, title: str = "Test client", ruleset: str = "foreign-prison-transfer") -> str:
    response = client.post("/start", data={"csrf": token(client), "ruleset": ruleset, "title": title})
    assert response.status_code == 303
    return response.headers["Location"]


def current_question(client: FlaskClient, where: str) -> str | None:
    found = re.search(r'name="question" value="([^"]+)"', client.get(where).get_data(as_text=True))
    return found.group(1) if found else None


def post(client: FlaskClient, where: str, **form: str | list[str]) -> int:
    return client.post(where, data={"csrf": token(client), **form}).status_code


# --- the start page ---------------------------------------------------------------------------------

def test_start_page_lists_the_rule_sets_and_sets_a_strict_policy(client: FlaskClient) -> None:
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "International transfer" in page or "foreign-prison-transfer" in page
    assert 'value="interstate-transfer"' in page and 'value="foreign-prison-transfer"' in page
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert security.COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_assets_are_served_by_the_app(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(assets) == 3  # icon, stylesheet, script
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


def test_every_form_needs_the_csrf_token(client: FlaskClient) -> None:
    client.get("/")
    for path in ("/start", "/upload"):
        response = client.post(path, data={"ruleset": "foreign-prison-transfer"})
        assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    where = start(client)
    assert client.post(where, data={"csrf": "0" * 64, "action": "back"}).status_code == 400


def test_a_token_from_another_browser_is_refused(app: Flask) -> None:
    with app.test_client() as one, app.test_client() as other:
        stolen = token(one)
        token(other)
        assert other.post("/start", data={"csrf": stolen, "ruleset": "foreign-prison-transfer"}).status_code == 400


def test_unknown_rule_set_is_not_found(client: FlaskClient) -> None:
    response = client.post("/start", data={"csrf": token(client), "ruleset": "../../etc"})
    assert response.status_code == 404 and "no rule set" in response.get_data(as_text=True)


# --- the interview ------------------------------------------------------------------------------------

def test_interview_answers_unknown_and_back(client: FlaskClient) -> None:
    where = start(client)
    first = current_question(client, where)
    assert first == "person_name"  # text questions are offered first, as in the terminal interview
    assert post(client, where, question=first, action="answer", value="Jane Roe") == 303
    second = current_question(client, where)
    assert second != first
    assert post(client, where, question=second or "", action="unknown") == 303
    assert post(client, where, action="back") == 303
    assert current_question(client, where) == second
    assert "Jane Roe" in client.get(where + "/case.yaml").get_data(as_text=True)


def test_bad_answer_is_shown_with_what_is_accepted(client: FlaskClient) -> None:
    where = start(client)
    response = client.post(where, data={"csrf": token(client), "question": "citizenship", "action": "answer",
                                        "value": "martian"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in page and "martian" in page
    response = client.post(where, data={"csrf": token(client), "question": "consent_given", "action": "answer"})
    assert response.status_code == 400 and "Choose one of the answers" in response.get_data(as_text=True)
    assert post(client, where, question="no_such_question", action="unknown") == 400
    assert post(client, where, question="citizenship", action="explode") == 400


def test_completing_the_interview_matches_the_command_line(client: FlaskClient) -> None:
    """Answering every question the app asks from a bundled case gives the findings `run` gives."""
    case, ruleset = api.load_case(ROOT / "cases" / "citizen-federal-no-consent.yaml")
    where = start(client, case.title)
    for _ in range(len(ruleset.questions) + 1):
        asked = current_question(client, where)
        if asked is None:
            break
        value = case.facts.get(asked)
        if value is None:
            assert post(client, where, question=asked, action="unknown") == 303
        elif isinstance(value, tuple):
            assert post(client, where, question=asked, action="answer", value=list(value)) == 303
        else:
            shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            assert post(client, where, question=asked, action="answer", value=shown) == 303
    assert "Interview complete" in client.get(where).get_data(as_text=True)
    memo = json.loads(client.get(where + "/download/json").get_data(as_text=True))
    expected = json.loads(api.run(ROOT / "cases" / "citizen-federal-no-consent.yaml", "json"))
    assert {f["id"]: f["status"] for f in memo["findings"]} == {f["id"]: f["status"] for f in expected["findings"]}
    assert memo["as_of"] == TODAY.isoformat()


def test_interviews_survive_a_restart_and_do_not_share_state(tmp_path: Path) -> None:
    first_app = create_app(state_dir=tmp_path / "state", today=lambda: TODAY)
    with first_app.test_client() as client:
        one, two = start(client, "One"), start(client, "Two")
        assert post(client, one, question="citizenship", action="answer", value="lpr") == 303
    again = create_app(state_dir=tmp_path / "state", today=lambda: TODAY)
    with again.test_client() as client:
        assert "citizenship: lpr" in client.get(one + "/case.yaml").get_data(as_text=True)
        assert "citizenship" not in client.get(two + "/case.yaml").get_data(as_text=True)


@pytest.mark.parametrize("where", ["/i/nope", "/i/" + "A" * 24, "/i/../../etc/passwd", "/i/%2e%2e%2fsecret"])
def test_unknown_interviews_are_not_found(client: FlaskClient, where: str) -> None:
    assert client.get(where).status_code == 404


def test_renaming(client: FlaskClient) -> None:
    where = start(client)
    assert post(client, where, action="title", title="  New   name ") == 303
    assert "<h1 id=\"case-title\">New name</h1>" in client.get(where).get_data(as_text=True)


# --- upload -----------------------------------------------------------------------------------------

def upload(client: FlaskClient, name: str, data: bytes) -> tuple[int, str]:
    response = client.post("/upload", data={"csrf": token(client), "case": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    return response.status_code, response.headers.get("Location") or response.get_data(as_text=True)


def test_upload_a_valid_case_continues_its_interview(client: FlaskClient) -> None:
    status, where = upload(client, "pretrial.yaml", (ROOT / "cases" / "pretrial-detainee.yaml").read_bytes())
    assert status == 303
    case, _ = api.load_case(ROOT / "cases" / "pretrial-detainee.yaml")
    page = client.get(where).get_data(as_text=True)
    assert case.title in page and 'value="back">' in page  # Back can undo the uploaded answers
    assert post(client, where, action="back") == 303


def test_favicon(client: FlaskClient) -> None:
    assert client.get("/favicon.ico").status_code == 301


def test_upload_errors_are_located_and_escaped(client: FlaskClient) -> None:
    bad = (b"ruleset: foreign-prison-transfer\ntitle: <script>alert(1)</script>\nfacts:\n"
           b"  citizenshp: lpr\n  custodian: federl\n")
    status, page = upload(client, "../../bad.yaml", bad)
    assert status == 400
    assert "bad.yaml:4:3: unknown question &#39;citizenshp&#39;" in page
    assert "bad.yaml:5:14" in page and "../" not in page
    assert "<script>alert" not in page


@pytest.mark.parametrize(("name", "data", "message"), [
    ("", b"", "Choose a case file"),
    ("latin1.yaml", "title: caf\u00e9".encode("latin-1"), "not UTF-8"),
    ("tags.yaml", b"ruleset: !!python/object:os.system foreign-prison-transfer\n", "tags.yaml:1:10"),
])
def test_upload_problems(client: FlaskClient, name: str, data: bytes, message: str) -> None:
    status, page = upload(client, name, data)
    assert status == 400 and message in page


def test_request_size_is_capped(app: Flask, client: FlaskClient) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == security.MAX_REQUEST
    app.config["MAX_CONTENT_LENGTH"] = 4000  # small enough that the test client keeps the body in memory
    status, page = upload(client, "big.yaml", b"#" * 8000)
    assert status == 413 and "larger than 4 KB" in page


# --- the memo, downloads, explanations, what-if -------------------------------------------------------

def test_memo_page_and_downloads(client: FlaskClient) -> None:
    status, where = upload(client, "c.yaml", (ROOT / "cases" / "citizen-federal-no-consent.yaml").read_bytes())
    page = client.get(where + "/memo").get_data(as_text=True)
    for fmt in ("md", "html", "docx", "json"):
        assert f"/download/{fmt}" in page
        response = client.get(where + f"/download/{fmt}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        assert response.headers["Content-Type"].count("charset") <= 1
    assert client.get(where + "/download/docx").data[:2] == b"PK"
    assert "/download/pdf" in page  # rendered in tests/test_pdf.py
    assert client.get(where + "/download/odt").status_code == 404
    standalone = client.get(where + "/memo.html")
    policy = standalone.headers["Content-Security-Policy"]
    assert "style-src 'sha256-" in policy and "script-src" not in policy and "frame-ancestors 'self'" in policy


def test_explanation_page(client: FlaskClient) -> None:
    _, where = upload(client, "c.yaml", (ROOT / "cases" / "citizen-federal-no-consent.yaml").read_bytes())
    page = client.get(where + "/explain/citizen_exile_barred").get_data(as_text=True)
    assert '<ul class="tree">' in page and "Raised" in page
    assert client.get(where + "/explain/no_such_issue").status_code == 404


def test_what_if_shows_changes_and_can_be_applied(client: FlaskClient) -> None:
    _, where = upload(client, "c.yaml", (ROOT / "cases" / "citizen-federal-no-consent.yaml").read_bytes())
    page = client.get(where + "/whatif/citizenship?value=lpr").get_data(as_text=True)
    assert "What would change" in page and "Not raised" in page
    assert client.get(where + "/whatif/citizenship?value=martian").status_code == 400
    assert client.get(where + "/whatif/no_such_fact").status_code == 404
    assert post(client, where + "/whatif/citizenship", value="lpr") == 303
    assert "citizenship: lpr" in client.get(where + "/case.yaml").get_data(as_text=True)
    assert post(client, where + "/whatif/citizenship", value="unknown") == 303
    assert "citizenship: unknown" in client.get(where + "/case.yaml").get_data(as_text=True)


@pytest.mark.parametrize("engine", ["python", "auto"])
def test_what_if_asks_the_api_with_the_apps_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    engine: api.EngineChoice) -> None:
    """The what-if page evaluates through the Python API with the engine the app was made with, and shows
    exactly the changes ``transferlaw whatif`` reports for the same setting."""
    app = create_app(state_dir=tmp_path / "state", today=lambda: TODAY, engine=engine)
    evaluate = api.evaluate_case
    used: list[str] = []

    def recording(case: object, ruleset: object, chosen: api.EngineChoice = "auto", **more: object) -> object:
        used.append(chosen)
        return evaluate(case, ruleset, chosen, **more)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "evaluate_case", recording)
    source = ROOT / "cases" / "citizen-federal-no-consent.yaml"
    with app.test_client() as client:
        _, where = upload(client, "c.yaml", source.read_bytes())
        used.clear()
        page = client.get(where + "/whatif/citizenship?value=lpr").get_data(as_text=True)
    assert used and set(used) == {engine}
    case, ruleset = api.load_case(source)
    _, _, expected = api.what_if(case, ruleset, ["citizenship=lpr"])
    assert expected
    shown = [html.unescape(t) for t in re.findall(r'<tr><th scope="row">([^<]+)</th>', page.split('id="changes"')[1])]
    assert shown == [ruleset.issue_by_id[c.issue].title for c in expected]


def test_everything_from_a_case_is_escaped(client: FlaskClient) -> None:
    evil = "<img src=x onerror=alert(1)>"
    where = start(client, evil)
    assert post(client, where, question="person_name", action="answer", value=evil) == 303
    for path in ("", "/memo", "/explain/citizen_exile_barred", "/whatif/citizenship?value=lpr", "/memo.html"):
        assert evil not in client.get(where + path).get_data(as_text=True), path


def test_a_broken_rule_set_is_reported_not_crashed(tmp_path: Path) -> None:
    broken = tmp_path / "rules" / "broken"
    broken.mkdir(parents=True)
    (broken / "ruleset.yaml").write_text("id: broken\ntitle: [unclosed\n")
    app = create_app([tmp_path / "rules", MINI_RULES], tmp_path / "state", today=lambda: TODAY)
    with app.test_client() as client:
        page = client.get("/").get_data(as_text=True)
        assert "cannot be used" in page and "broken/ruleset.yaml:3:1: invalid YAML" in page


# --- the store, tokens, the server ------------------------------------------------------------------

def test_store_round_trip_and_ids(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    ruleset = api.load_ruleset("foreign-prison-transfer")
    state = steps.answer(ruleset, steps.start(ruleset, "T", as_of=TODAY, notes="n"), "other_nationalities",
                         "salvadoran")
    ident = store.create(state)
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", ident) and store.get(ident) == state
    assert store.get("not an id") is None and store.get("A" * 24) is None
    assert Store(tmp_path / "s").secret == store.secret and len(store.secret) == 32
    assert (tmp_path / "s" / "secret").stat().st_mode & 0o077 == 0


def test_tokens() -> None:
    assert security.valid(b"k", "browser", security.token(b"k", "browser"))
    assert not security.valid(b"k", "browser", security.token(b"other", "browser"))
    assert not security.valid(b"k", None, "x") and not security.valid(b"k", "browser", None)


@pytest.mark.parametrize(("host", "local"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                             ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_only_loopback_counts_as_local(host: str, local: bool) -> None:
    assert is_local(host) is local


# --- transferlaw serve ---------------------------------------------------------------------------------

def _serve(tmp_path: Path, *args: str) -> tuple[list[str], str]:
    """Start `transferlaw serve` on a free port, fetch the start page, stop it with Ctrl-C (SIGINT)."""
    import signal
    import subprocess
    import sys
    import urllib.request

    process = subprocess.Popen([sys.executable, "-m", "transferlaw", "serve", "--port", "0", "--state",
                                str(tmp_path / "state"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while not lines or "is running at" not in lines[-1]:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            lines.append(line.strip())
        url = re.search(r"http://\S+/", lines[-1])
        assert url
        with urllib.request.urlopen(url.group(0).replace("0.0.0.0", "127.0.0.1"), timeout=30) as response:
            page = response.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and "Stopped." in out
    return lines, page


def test_serve_runs_on_loopback_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    lines, page = _serve(tmp_path)
    assert lines[0].startswith("transferlaw is running at http://127.0.0.1:")
    assert "Start an interview" in page


def test_serve_warns_when_other_computers_can_reach_it(tmp_path: Path) -> None:
    lines, _ = _serve(tmp_path, "--host", "0.0.0.0")
    assert lines[0].startswith("Warning: listening on 0.0.0.0")


def test_serve_reports_a_port_in_use(tmp_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from transferlaw.cli import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--state", str(tmp_path / "s")])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


# --- found in review ------------------------------------------------------------------------------------

def test_other_host_names_are_refused(client: FlaskClient) -> None:
    """DNS rebinding: a page that points its own name at 127.0.0.1 cannot use the app."""
    response = client.get("/", headers={"Host": "attacker.example:8000"})
    assert response.status_code == 400 and "not allowed" in response.get_data(as_text=True)
    assert client.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_a_strange_token_is_refused_not_crashed(client: FlaskClient) -> None:
    client.get("/")
    assert client.post("/start", data={"csrf": "\u00e9\u00e9", "ruleset": "x"}).status_code == 400


def test_an_empty_typed_answer_is_refused(client: FlaskClient) -> None:
    where = start(client)
    response = client.post(where, data={"csrf": token(client), "question": "person_name", "action": "answer",
                                        "value": "  "})
    assert response.status_code == 400 and "Type an answer" in response.get_data(as_text=True)


def test_not_allowed_keeps_its_allow_header(client: FlaskClient) -> None:
    response = client.delete("/")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_titles_are_capped(client: FlaskClient) -> None:
    where = start(client, "x" * 5000)
    assert "x" * 200 + "\"" in client.get(where + "/case.yaml").get_data(as_text=True)


def test_a_damaged_interview_is_not_found(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    import sqlite3

    where = start(client)
    with sqlite3.connect(tmp_path / "state" / "interviews.sqlite3") as db:
        db.execute("UPDATE interviews SET state = '{not json'")
    assert client.get(where).status_code == 404


def test_answers_that_no_longer_fit_a_changed_rule_set_are_taken_out(tmp_path: Path) -> None:
    """An answer whose choice the edited rule set no longer has is dropped, and the page says so."""
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES / "mini", rules / "mini")
    app = create_app([rules], tmp_path / "state", today=lambda: TODAY)
    with app.test_client() as client:
        where = start(client, ruleset="mini")
        ruleset = api.load_ruleset(rules / "mini")
        question = next(q for q in ruleset.questions if q.type == "choice")
        assert post(client, where, question=question.id, action="answer", value=question.choices[0][0]) == 303
        for path in (rules / "mini").rglob("*.yaml"):  # the rule set drops that answer's choice id
            path.write_text(path.read_text().replace(question.choices[0][0], question.choices[0][0] + "_renamed"))
        # the files changed (their size too), so the app loads the rule set again: no cache to clear
        page = client.get(where).get_data(as_text=True)
        assert "no longer fit" in page and question.prompt in page
        assert f"{question.id}:" not in client.get(where + "/case.yaml").get_data(as_text=True)


def test_store_secret_and_database_are_private(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    (tmp_path / "s" / "secret").write_text("")  # a short secret is never used
    again = Store(tmp_path / "s")
    assert len(again.secret) == 32
    assert (tmp_path / "s" / "interviews.sqlite3").stat().st_mode & 0o077 == 0
    assert store.secret != b""


def test_a_step_from_a_stale_page_is_refused_not_misapplied(client: FlaskClient) -> None:
    """Two tabs on one interview: the second tab's old form does not record an answer (or Back) against the
    interview the first tab has moved on."""
    where = start(client)
    page = client.get(where).get_data(as_text=True)
    found = re.search(r'name="version" value="([0-9a-f]+)"', page)
    assert found
    old = found.group(1)
    assert post(client, where, question="person_name", action="answer", value="First tab", version=old) == 303
    response = client.post(where, data={"csrf": token(client), "question": "person_name", "action": "back",
                                        "version": old})
    assert response.status_code == 409 and "changed in another tab" in response.get_data(as_text=True)
    assert "First tab" in client.get(where + "/case.yaml").get_data(as_text=True)


def test_what_if_does_not_become_the_last_interview_step(client: FlaskClient) -> None:
    where = start(client)
    assert post(client, where, question="person_name", action="answer", value="Doe") == 303
    assert post(client, where + "/whatif/citizenship", value="lpr") == 303
    assert post(client, where, action="back") == 303  # undoes the name, the interview's own last step
    case_file = client.get(where + "/case.yaml").get_data(as_text=True)
    assert "citizenship: lpr" in case_file and "Doe" not in case_file


def test_what_if_on_a_multi_question_offers_none_and_all(client: FlaskClient) -> None:
    _, where = upload(client, "c.yaml", (ROOT / "cases" / "citizen-federal-no-consent.yaml").read_bytes())
    page = client.get(where + "/whatif/other_nationalities").get_data(as_text=True)
    assert 'value="none"' in page and ">none</label>" in page
    assert client.get(where + "/whatif/other_nationalities?value=none").status_code == 200


# --- security review (issue 8) ---------------------------------------------------------------------------

def test_two_steps_on_one_interview_at_the_same_instant_do_not_overwrite_each_other(app: Flask) -> None:
    """Two requests that read the same interview before either writes: one is recorded, the other is refused
    with a note (409), never both recorded with the second silently undoing the first."""
    import threading

    with app.test_client() as first:
        where = start(first)
        csrf = token(first)
        browser = first.get_cookie(security.COOKIE)
        assert browser is not None
        version = re.search(r'name="version" value="([0-9a-f]+)"', first.get(where).get_data(as_text=True))
        assert version
    both_read = threading.Barrier(2)
    real = steps.answer

    def answer_once_both_have_read(*args: object, **kwargs: object) -> steps.State:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        both_read.wait(timeout=30)  # each request has read the interview and made its change
        return result

    statuses: dict[str, int] = {}

    def send(name: str) -> None:
        with app.test_client() as tab:
            tab.set_cookie(security.COOKIE, browser.value)
            statuses[name] = tab.post(where, data={"csrf": csrf, "question": "person_name", "action": "answer",
                                                   "value": name, "version": version.group(1)}).status_code

    import pytest as _pytest

    with _pytest.MonkeyPatch.context() as patch:
        patch.setattr(steps, "answer", answer_once_both_have_read)
        tabs = [threading.Thread(target=send, args=(name,)) for name in ("Ada", "Grace")]
        for tab in tabs:
            tab.start()
        for tab in tabs:
            tab.join(timeout=60)
    assert sorted(statuses.values()) == [303, 409]
    winner = next(name for name, status in statuses.items() if status == 303)
    loser = next(name for name, status in statuses.items() if status == 409)
    with app.test_client() as again:
        case_file = again.get(where + "/case.yaml").get_data(as_text=True)
    assert winner in case_file and loser not in case_file


def test_the_store_writes_a_change_only_at_the_revision_it_was_read(tmp_path: Path) -> None:
    """Compare-and-swap: a write based on a stale read is refused and changes nothing."""
    store = Store(tmp_path / "s")
    ruleset = api.load_ruleset(MINI_RULES / "mini")
    ident = store.create(steps.start(ruleset, "T", as_of=TODAY))
    found = store.read(ident)
    assert found is not None
    state, revision = found
    one = steps.retitle(state, "One")
    two = steps.retitle(state, "Two")
    assert store.replace(ident, one, revision)
    assert not store.replace(ident, two, revision)  # read at the same revision: too late
    assert store.get(ident) == one
    assert store.read(ident) == (one, revision + 1)
    assert not store.replace("A" * 24, one, 0)


def test_a_store_from_before_revisions_still_opens(tmp_path: Path) -> None:
    """A database written by an earlier version (no revision column) gains one and keeps its interviews."""
    import sqlite3

    directory = tmp_path / "s"
    directory.mkdir()
    ruleset = api.load_ruleset(MINI_RULES / "mini")
    state = steps.start(ruleset, "Old", as_of=TODAY)
    from transferlaw.web.store import _dump

    with sqlite3.connect(directory / "interviews.sqlite3") as db:
        db.execute("CREATE TABLE interviews (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated TEXT NOT NULL)")
        db.execute("INSERT INTO interviews VALUES (?, ?, ?)", ("B" * 24, _dump(state), "2026-01-01"))
    store = Store(directory)
    assert store.read("B" * 24) == (state, 0)
    assert store.replace("B" * 24, steps.retitle(state, "New"), 0)


EVIL = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
        "{{ 7*7 }}", "' onmouseover='alert(1)"]


def _evil_rules(tmp_path: Path, payload: str) -> Path:
    """The mini rule set with ``payload`` in every text a page can show."""
    import yaml

    data = yaml.safe_load((MINI_RULES / "mini" / "ruleset.yaml").read_text(encoding="utf-8"))
    data["title"] = data["description"] = data["jurisdiction"] = payload
    data["areas"] = {area: payload for area in data["areas"]}
    for question in data["questions"]:
        question["prompt"] = question["help"] = payload
        if "choices" in question:
            question["choices"] = {value: payload + value for value in question["choices"]}
    for item in data["conclusions"]:
        item["title"] = payload
    for issue in data["issues"]:
        issue["title"] = payload
        issue["rule"] = issue["counterargument"] = payload.replace("{{", "{{ '{{' }}")
        issue["application"] = "{{ case.title }} {{ answer.name }}"
    for authority in data["authorities"]:
        authority["citation"] = authority["proposition"] = payload
    rules = tmp_path / "rules"
    (rules / "mini").mkdir(parents=True)
    (rules / "mini" / "ruleset.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return rules


@pytest.mark.parametrize("payload", EVIL)
def test_every_page_escapes_what_a_rule_set_and_a_case_say(tmp_path: Path, payload: str) -> None:
    """Rule-set text (titles, prompts, help, choices, rendered texts, citations) and case text (title, text
    answers) never reach a page, a memo or a download as markup."""
    app = create_app([_evil_rules(tmp_path, payload)], tmp_path / "state", today=lambda: TODAY)
    with app.test_client() as client:
        where = start(client, payload, ruleset="mini")
        assert post(client, where, question="name", action="answer", value=payload) == 303
        pages = ["", "/memo", "/memo.html", "/explain/exile", "/whatif/citizen?value=yes", "/download/html", "/x"]
        for path in pages:
            response = client.get(where + path)
            assert response.status_code == (404 if path == "/x" else 200), path
            html = response.get_data(as_text=True)
            assert active_html(html, own="/") == [], path
            if "{{" in payload:
                assert payload in html or path == "/x", path  # shown as written, never run
        assert active_html(client.get("/").get_data(as_text=True), own="/") == []
        markdown = client.get(where + "/download/md").get_data(as_text=True)
        assert active_markdown(markdown) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "a\x00b.yaml",
                                  "<script>.yaml", "x" * 5000 + ".yaml"])
def test_an_upload_name_is_only_shown_never_used_as_a_path(client: FlaskClient, tmp_path: Path, name: str) -> None:
    """An uploaded file's name names no file: whatever it says, nothing is read or written there, and it is
    shown escaped."""
    status, page = upload(client, name, b"ruleset: nope\ntitle: x\n")
    assert status == 400 and "unknown rule set" in page
    assert "<script>" not in page and "/etc/" not in page and "..\\" not in page


# --- issue 13 -------------------------------------------------------------------------------------------

def _has_ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_issue13_ipv6_loopback_host_is_allowed(client: FlaskClient) -> None:
    """Issue 13.9: the Host header of a request to ::1 is `[::1]:port`, and it was refused like a stranger's."""
    assert client.get("/", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]"}).status_code == 200
    assert client.get("/", headers={"Host": "[::2]:8000"}).status_code == 400
    assert client.get("/", headers={"Host": "[::1"}).status_code == 400


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_issue13_serve_on_ipv6_loopback(tmp_path: Path) -> None:
    """Issue 13.9: `transferlaw serve --host ::1` answered every request with 400."""
    lines, page = _serve(tmp_path, "--host", "::1")
    assert lines[0].startswith("transferlaw is running at http://[::1]:")
    assert "Start an interview" in page


# --- control characters and numbers (issue 13, points 6 and 7) ------------------------------------------

def test_issue13_control_characters_are_refused_where_they_are_typed(client: FlaskClient) -> None:
    """Point 7: a title or text answer holding a control character is refused with what to do; no interview
    holds one, so neither the case file nor the HTML memo can carry raw NUL or ESC."""
    response = client.post("/start", data={"csrf": token(client), "ruleset": "foreign-prison-transfer",
                                           "title": "Ana\x1b[31m"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in page
    assert "the title holds the control character U+001B; type it again without it" in page
    where = start(client, "Ana")
    response = client.post(where, data={"csrf": token(client), "action": "title", "title": "A\x00B"})
    assert response.status_code == 400 and "the title holds the control character U+0000" in response.get_data(
        as_text=True)
    response = client.post(where, data={"csrf": token(client), "question": "person_name", "action": "answer",
                                        "value": "Jane\x07Roe"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "the answer holds the control character U+0007" in page
    assert ">JaneRoe</textarea>" in page  # shown back without it, ready to send again
    case = client.get(where + "/case.yaml").get_data(as_text=True)
    memo = client.get(where + "/memo.html").get_data(as_text=True)
    assert not any(ch in case + memo for ch in "\x00\x07\x1b")
    loaded, _ = api.load_case("web.yaml", text=case)
    assert loaded.title == "Ana"


def test_issue13_a_web_form_reads_numbers_as_a_case_file_does(client: FlaskClient) -> None:
    """Point 6: ``010`` is 10 in a form as in a case file; ``1:30`` is refused with the number to write."""
    where = start(client)
    response = client.post(where, data={"csrf": token(client), "question": "age_years", "action": "answer",
                                        "value": "1:30"})
    assert response.status_code == 400
    assert "1:30 is not a plain decimal number (write 90)" in response.get_data(as_text=True)
    assert post(client, where, question="age_years", action="answer", value="010") == 303
    assert "age_years: 10\n" in client.get(where + "/case.yaml").get_data(as_text=True)


def test_issue13_what_if_offers_only_numbers_a_form_accepts(tmp_path: Path) -> None:
    """Point 11: the what-if choices for a number are values the form (and a case file) accepts: not 5e-05."""
    from transferlaw.web.forms import options

    from .test_sensitivity import _ruleset

    ruleset = _ruleset(tmp_path, "amount > 0 and amount < 0.0001", "amount >= 999999999999999")
    offered = [value for value, _ in options(ruleset.question_by_id["amount"], ruleset)]
    assert "5e-05" not in offered and "1000000000000000" not in offered and "999999999999999" in offered
    for value in offered:
        steps.answer(ruleset, steps.start(ruleset), "amount", value)
