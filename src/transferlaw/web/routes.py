"""The web app's routes, one blueprint: the guided interview, live findings, the memo, explanations and what-if.

Each route reads the interview from the app's :class:`~transferlaw.web.store.Store`, asks the Python API
(:mod:`transferlaw.tools.steps`, :mod:`transferlaw.api`) what to show, and renders a template from
``web/templates``. Rule sets are chosen by id among those found in the rule-set directories, formats from a
fixed list, interviews by an unguessable id: no request ever names a path. The app's state (the store, the
rule-set directories, the engine, the clock, the trusted hosts) is a :class:`Settings` held in
``app.extensions``, set by :func:`transferlaw.web.app.create_app`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import Any
from typing import cast

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.exceptions import HTTPException

from .. import api
from ..language.errors import TransferlawError
from ..language.model import STATUS_LABELS
from ..language.model import Case
from ..language.model import Evaluation
from ..language.model import Question
from ..language.model import RuleSet
from ..memo.display import fact_display
from ..tools import steps
from ..tools import views
from ..tools.interview import case_yaml
from ..tools.typed_answers import AnswerError
from ..tools.typed_answers import accepted
from . import security
from .forms import UNFIT
from .forms import alternatives
from .forms import choice_value
from .forms import options
from .forms import raw_answer
from .forms import slug
from .store import Store

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "json": "application/json",
}
EXTENSION = "transferlaw"
"""The key of the app's :class:`Settings` in ``app.extensions``."""

blueprint = Blueprint("web", __name__)


@dataclass(frozen=True, slots=True)
class Settings:
    """What the routes of one app share: where interviews are kept, where rule sets are found, the engine
    that evaluates, the clock that dates new interviews, and the hosts a request may name (None: any)."""

    store: Store
    rules_dirs: list[Path] | None
    engine: api.EngineChoice
    today: Callable[[], dt.date]
    trusted_hosts: tuple[str, ...] | None
    workspace: api.Workspace
    """The app's rule sets, loaded once and reused across requests (threads), with their engines and caches."""


def settings() -> Settings:
    """The current app's :class:`Settings`."""
    return cast(Settings, current_app.extensions[EXTENSION])


# --- helpers ------------------------------------------------------------------------------------

def available() -> dict[str, Path]:
    """The rule sets this app offers, by id."""
    return api.find_rulesets(settings().rules_dirs)


def ruleset_of(ident: str) -> RuleSet:
    """The rule set ``ident`` (404 if the app has none by that id)."""
    found = available()
    if ident not in found:
        abort(404, f"There is no rule set “{ident}” here.")
    return api.load_ruleset(found[ident], workspace=settings().workspace)


def read(ident: str) -> tuple[steps.State, RuleSet, int]:
    """The interview, its rule set and the revision it was read at (a change is written only if the
    interview is still at that revision: :meth:`Store.replace`)."""
    store = settings().store
    for _ in range(3):
        found = store.read(ident)
        if found is None:
            abort(404, "There is no interview at this address. It may have been started on another computer.")
        state, revision = found
        ruleset = ruleset_of(state.ruleset)
        fitted, dropped = steps.refit(ruleset, state)
        if not dropped:
            return state, ruleset, revision
        if store.replace(ident, fitted, revision):  # the rule set changed: keep what still fits, say so
            g.dropped = [ruleset.question_by_id[q].prompt if q in ruleset.question_by_id else q
                         for q in dropped]
            return fitted, ruleset, revision + 1
    return fitted, ruleset, revision  # pragma: no cover - refitted by three other requests meanwhile


def interview_of(ident: str) -> tuple[steps.State, RuleSet]:
    """The interview and its rule set."""
    state, ruleset, _ = read(ident)
    return state, ruleset


def conflict(ident: str) -> Response:
    """The interview as it now stands, with a note that the step just sent was not recorded."""
    state, ruleset = interview_of(ident)
    return page("interview.html", 409, **interview_context(
        ident, state, ruleset, error="This interview changed in another tab or window, so that answer "
                                    "was not recorded. Here is where it stands now."))


def case_of(state: steps.State) -> Case:
    """The interview as a case."""
    return Case(ruleset=state.ruleset, title=state.title, facts=dict(state.facts), as_of=state.as_of,
                notes=state.notes, source="web interview")


def evaluation_of(state: steps.State, ruleset: RuleSet) -> Evaluation:
    """The interview evaluated by the app's engine."""
    return api.evaluate_case(case_of(state), ruleset, settings().engine, workspace=settings().workspace)


def page(template: str, status: int = 200, **context: Any) -> Response:
    """An HTML page from ``template``."""
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def choices(**extra: Any) -> dict[str, Any]:
    """The front page's rule sets, and those that do not load with their errors."""
    rows, broken = [], []
    for ident, path in sorted(available().items()):
        try:
            rows.append(api.load_ruleset(path, workspace=settings().workspace))
        except TransferlawError as exc:
            broken.append((ident, exc.report()))
    return {"rulesets": rows, "broken": broken, **extra}


def interview_context(ident: str, state: steps.State, ruleset: RuleSet, **extra: Any) -> dict[str, Any]:
    """What the interview page shows: the current question, its options, live findings and progress."""
    question = steps.current(ruleset, state, workspace=settings().workspace)
    return {"ident": ident, "state": state, "ruleset": ruleset, "question": question,
            "options": options(question, ruleset) if question else [],
            "accepts": accepted(question) if question else "",
            "live": steps.live(ruleset, state.facts, workspace=settings().workspace),
            "progress": steps.progress(ruleset, state, workspace=settings().workspace),
            "version": steps.version(state),
            "error": None, "entered": None, **extra}


# --- every request ------------------------------------------------------------------------------

@blueprint.before_app_request
def protect() -> Response | None:
    """Refuse a host that is not trusted and a form without a valid token; give a new browser its id."""
    chosen = settings()
    if chosen.trusted_hosts is not None and not security.host_allowed(request.host, chosen.trusted_hosts):
        abort(400, "This host is not allowed.")
    g.browser = request.cookies.get(security.COOKIE) or None
    g.new_browser = None
    if g.browser is None:
        g.new_browser = g.browser = security.new_browser_id()
    if request.method == "POST" and not security.valid(chosen.store.secret, request.cookies.get(security.COOKIE),
                                                      request.form.get(security.FIELD)):
        return page("error.html", 400, title="The form has expired",
                    message="This form was not sent from this app in this browser, or it has expired. "
                            "Go back, reload the page and send it again.")
    return None


@blueprint.after_app_request
def headers(response: Response) -> Response:
    """The security headers and, for a new browser, its cookie."""
    for name, value in security.HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", security.PAGE_POLICY)
    if g.get("new_browser"):
        response.set_cookie(security.COOKIE, g.new_browser, httponly=True, samesite="Lax",
                            secure=request.is_secure, max_age=60 * 60 * 24 * 365)
    return response


@blueprint.app_context_processor
def forms() -> dict[str, Any]:
    """What every template may use: the form token and the status labels."""
    return {"csrf_token": security.token(settings().store.secret, g.get("browser") or ""),
            "csrf_field": security.FIELD, "status_labels": STATUS_LABELS}


@blueprint.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """An HTTP error as a page (a host that is not allowed: one line of plain text)."""
    titles = {404: "Not found", 405: "Not allowed", 413: "Too large", 400: "Bad request"}
    if exc.code == 400 and "host" in (exc.description or "").lower():
        return Response("This address is not allowed: open the app at http://127.0.0.1.", 400,
                        mimetype="text/plain")
    message = exc.description or ""
    if exc.code == 413:
        message = f"The upload is larger than {current_app.config['MAX_CONTENT_LENGTH'] // 1000:,} KB."
    response = page("error.html", exc.code or 500, title=titles.get(exc.code or 500, "Error"), message=message)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value  # e.g. Allow on a 405
    return response


@blueprint.app_errorhandler(TransferlawError)
def located_error(exc: TransferlawError) -> Response:
    """A rule set with errors, reported on the page."""
    return page("error.html", 500, title="The rule set cannot be used",
                message="The rule set behind this page has errors:", report=exc.report())


# --- choosing a rule set, or uploading a case ---------------------------------------------------

@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for by this name."""
    return redirect(url_for("static", filename="favicon.svg"), 301)  # type: ignore[return-value]


@blueprint.get("/")
def index() -> Response:
    """The front page: choose a rule set, or upload a case file."""
    return page("index.html", **choices())


@blueprint.post("/start")
def start() -> Response:
    """Start an interview for the chosen rule set."""
    ruleset = ruleset_of(request.form.get("ruleset", ""))
    try:
        state = steps.start(ruleset, request.form.get("title"), as_of=settings().today())
    except AnswerError as exc:  # a title no case file could hold
        return page("index.html", 400, **choices(start_error=str(exc)))
    return redirect(url_for(".interview", ident=settings().store.create(state)), 303)  # type: ignore[return-value]


@blueprint.post("/upload")
def upload() -> Response:
    """Continue an uploaded case file as an interview."""
    sent = request.files.get("case")
    if sent is None or not sent.filename:
        return page("index.html", 400, **choices(upload_errors=["Choose a case file (.yaml) to upload."]))
    name = Path(sent.filename.replace("\\", "/")).name or "upload.yaml"
    try:
        with sent.stream:
            text = sent.read().decode("utf-8")
    except UnicodeDecodeError:
        return page("index.html", 400, **choices(upload_errors=[f"{name}: the file is not UTF-8 text"]))
    try:
        saved, ruleset = api.load_upload(text, name, settings().rules_dirs, workspace=settings().workspace)
    except TransferlawError as exc:
        return page("index.html", 400, **choices(upload_errors=exc.report().splitlines()))
    today = settings().today
    state = steps.start(ruleset, saved.title, saved.facts, saved.skipped, saved.as_of or today(), saved.notes)
    state = steps.replace(state, asked=tuple(q.id for q in ruleset.questions  # so that Back can undo them
                                             if q.id in state.facts or q.id in state.skipped))
    return redirect(url_for(".interview", ident=settings().store.create(state)), 303)  # type: ignore[return-value]


# --- the interview ------------------------------------------------------------------------------

@blueprint.get("/i/<ident>")
def interview(ident: str) -> Response:
    """The interview: the current question and the live findings."""
    state, ruleset = interview_of(ident)
    return page("interview.html", **interview_context(ident, state, ruleset))


@blueprint.post("/i/<ident>")
def step(ident: str) -> Response:
    """One step of the interview: answer, unknown, back or a new title; written only if nothing else
    changed the interview since it was read."""
    state, ruleset, revision = read(ident)
    action = request.form.get("action", "answer")
    question_id = request.form.get("question", "")
    sent = request.form.get("version")
    if action != "title" and sent is not None and sent != steps.version(state):
        return conflict(ident)
    try:
        if action == "back":
            state = steps.back(state)
        elif action == "title":
            state = steps.retitle(state, request.form.get("title", ""))
        elif action == "unknown":
            if question_id not in ruleset.question_by_id:
                raise AnswerError(f"unknown question {question_id!r}")
            state = steps.skip(state, question_id)
        elif action == "answer":
            state = steps.answer(ruleset, state, question_id, raw_answer(ruleset, question_id))
        else:
            abort(400, f"Unknown action “{action}”.")
    except AnswerError as exc:
        return page("interview.html", 400, **interview_context(
            ident, state, ruleset, error=str(exc),
            entered=[UNFIT.sub("", v) for v in request.form.getlist("value")]))  # shown back without them
    if not settings().store.replace(ident, state, revision):  # another request changed it since it was read
        return conflict(ident)
    return redirect(url_for(".interview", ident=ident) + "#question", 303)  # type: ignore[return-value]


# --- the memo -----------------------------------------------------------------------------------

@blueprint.get("/i/<ident>/memo")
def memo(ident: str) -> Response:
    """The memo as a page, with the facts and the downloads."""
    state, ruleset = interview_of(ident)
    evaluation = evaluation_of(state, ruleset)
    document = api.memo_document(evaluation, state.as_of, workspace=settings().workspace)
    facts = [(q, fact_display(q, state.facts.get(q.id)), q.id in state.facts)
             for q in ruleset.questions if q.type != "text"]
    return page("memo.html", ident=ident, state=state, ruleset=ruleset, memo=document, facts=facts,
                formats=list(FORMATS))


@blueprint.get("/i/<ident>/memo.html")
def memo_html(ident: str) -> Response:
    """The standalone HTML memo."""
    state, ruleset = interview_of(ident)
    workspace = settings().workspace
    html = api.render_document(api.memo_document(evaluation_of(state, ruleset), state.as_of, workspace=workspace),
                               "html", workspace=workspace)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = security.memo_policy(html.decode("utf-8"))
    return response


@blueprint.get("/i/<ident>/download/<fmt>")
def download(ident: str, fmt: str) -> Response:
    """The memo as a file in one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        abort(404, f"There is no “{fmt}” format; choose one of {', '.join(FORMATS)}.")
    state, ruleset = interview_of(ident)
    workspace = settings().workspace
    data = api.render_document(api.memo_document(evaluation_of(state, ruleset), state.as_of, workspace=workspace),
                               fmt, workspace=workspace)
    response = Response(data, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{slug(state.title)}.{fmt}"'
    if fmt == "html":
        response.headers["Content-Security-Policy"] = security.memo_policy(data.decode("utf-8"))
    return response


@blueprint.get("/i/<ident>/case.yaml")
def case_file(ident: str) -> Response:
    """The interview as a case file."""
    state, ruleset = interview_of(ident)
    text = case_yaml(ruleset, state.title, state.facts, state.as_of, skipped=state.skipped, notes=state.notes)
    response = Response(text, mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug(state.title)}.yaml"'
    return response


@blueprint.get("/i/<ident>/explain/<issue>")
def explain(ident: str, issue: str) -> Response:
    """Why an issue or conclusion has its status: the reasoning tree."""
    state, ruleset = interview_of(ident)
    if issue not in ruleset.issue_by_id and issue not in ruleset.conclusion_by_id:
        abort(404, f"There is no issue or conclusion “{issue}” in this rule set.")
    evaluation = evaluation_of(state, ruleset)
    explained = api.explain_finding(evaluation, issue)
    conclusions = explained.conclusions  # worded trees (explain.Worded)
    return page("explain.html", ident=ident, state=state, ruleset=ruleset, explained=explained,
                conclusions=conclusions, missing=[ruleset.question_by_id[q] for q in explained.missing])


# --- what if ------------------------------------------------------------------------------------

def changed(ident: str, fact: str,
            chosen: str | None) -> tuple[steps.State, RuleSet, Question, steps.State | None, int]:
    """The interview, its rule set, the question ``fact``, the interview with ``chosen`` as its answer, and
    the revision the interview was read at."""
    state, ruleset, revision = read(ident)
    question = ruleset.question_by_id.get(fact)
    if question is None or question.type == "text":
        abort(404, f"There is no question “{fact}” to change.")
    if chosen is None:
        return state, ruleset, question, None, revision
    value = choice_value(question, ruleset, chosen)
    if value is None:
        after = replace(steps.skip(state, fact), asked=state.asked)
    else:
        after = steps.change(ruleset, state, fact, steps.answer_text(value))
    return state, ruleset, question, after, revision


@blueprint.get("/i/<ident>/whatif/<fact>")
def what_if(ident: str, fact: str) -> Response:
    """The answers ``fact`` could have and, for the one chosen, the findings that would change."""
    chosen = request.args.get("value")
    state, ruleset, question, after, _ = changed(ident, fact, chosen)
    changes = None
    if after is not None:
        _, _, found = api.compare_cases(case_of(state), case_of(after), ruleset, settings().engine,
                                        workspace=settings().workspace)
        changes = views.change_rows(found, ruleset)
    return page("whatif.html", ident=ident, state=state, ruleset=ruleset, question=question,
                current=fact_display(question, state.facts.get(fact)), options=alternatives(question, ruleset),
                chosen=chosen, changes=changes)


@blueprint.post("/i/<ident>/whatif/<fact>")
def apply_what_if(ident: str, fact: str) -> Response:
    """Keep the what-if's answer in the interview."""
    _, _, _, state, revision = changed(ident, fact, request.form.get("value", ""))
    assert state is not None
    if not settings().store.replace(ident, state, revision):  # another request changed it since it was read
        return conflict(ident)
    return redirect(url_for(".memo", ident=ident), 303)  # type: ignore[return-value]
