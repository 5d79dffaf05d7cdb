"""The web app's routes: the guided interview, live findings, the memo, explanations and what-if.

Each route reads the interview from the :class:`~transferlaw.web.store.Store`, asks the Python API
(:mod:`transferlaw.steps`, :mod:`transferlaw.api`) what to show, and renders a template from
``web/templates``. Rule sets are chosen by id among those found in the rule-set directories, formats from a
fixed list, interviews by an unguessable id: no request ever names a path.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import Response
from flask import abort
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from .. import api
from .. import kleene
from .. import sensitivity
from .. import steps
from ..display import counted
from ..display import fact_display
from ..errors import TransferlawError
from ..interview import AnswerError
from ..interview import accepted
from ..interview import case_yaml
from ..limits import CONTROL_CHARACTER
from ..model import STATUS_LABELS
from ..model import Case
from ..model import Evaluation
from ..model import Question
from ..model import RuleSet
from ..model import Value
from ..trials import domain
from . import security
from .store import Store

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}
_SLUG = re.compile(r"[^A-Za-z0-9]+")
_UNFIT = re.compile(f"{CONTROL_CHARACTER.pattern}|[\ud800-\udfff]")
"""What no text may hold (:func:`transferlaw.yamlio.unfit_character`), taken out of an answer shown back."""


def default_state_dir() -> Path:
    """Where interviews are kept: ``$TRANSFERLAW_STATE_DIR``, else ``$XDG_STATE_HOME/transferlaw/web``."""
    chosen = os.environ.get("TRANSFERLAW_STATE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "transferlaw" / "web"


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_allowed(host: str, trusted: Sequence[str]) -> bool:
    """Whether a request's ``host[:port]`` names one of ``trusted`` (an IPv6 address with or without brackets).

    Not werkzeug's ``TRUSTED_HOSTS``: it cuts every name at its first colon, so ``[::1]:8000`` never matches.
    """
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:  # e.g. "[::1" or a bad port
        return False
    return name is not None and name in {t.strip("[]").lower() for t in trusted}


def create_app(rules_dirs: Sequence[Path] | None = None, state_dir: Path | None = None,
               today: Callable[[], dt.date] = dt.date.today,
               trusted_hosts: Sequence[str] | None = LOCAL_HOSTS) -> Flask:
    """The app, keeping interviews in ``state_dir``; ``today`` dates new interviews (fixed in tests).

    Requests must name one of ``trusted_hosts`` (None: any), so that a web page cannot reach the app
    through a DNS name that it points at 127.0.0.1 (DNS rebinding).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = security.MAX_REQUEST
    app.config["MAX_FORM_MEMORY_SIZE"] = security.MAX_REQUEST  # one limit for every field, said in its message
    allowed = tuple(trusted_hosts) if trusted_hosts is not None else None
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["counted"] = counted
    store = Store(state_dir or default_state_dir())
    dirs = list(rules_dirs) if rules_dirs else None

    # --- helpers ------------------------------------------------------------------------------

    def available() -> dict[str, Path]:
        return api.find_rulesets(dirs)

    def ruleset_of(ident: str) -> RuleSet:
        found = available()
        if ident not in found:
            abort(404, f"There is no rule set “{ident}” here.")
        return api.load_ruleset(found[ident])

    def interview_of(ident: str) -> tuple[steps.State, RuleSet]:
        state, ruleset, _ = read(ident)
        return state, ruleset

    def read(ident: str) -> tuple[steps.State, RuleSet, int]:
        """The interview, its rule set and the revision it was read at (a change is written only if the
        interview is still at that revision: :meth:`Store.replace`)."""
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

    def conflict(ident: str) -> Response:
        """The interview as it now stands, with a note that the step just sent was not recorded."""
        state, ruleset = interview_of(ident)
        return page("interview.html", 409, **interview_context(
            ident, state, ruleset, error="This interview changed in another tab or window, so that answer "
                                        "was not recorded. Here is where it stands now."))

    def case_of(state: steps.State) -> Case:
        return Case(ruleset=state.ruleset, title=state.title, facts=dict(state.facts), as_of=state.as_of,
                    notes=state.notes, source="web interview")

    def evaluation_of(state: steps.State, ruleset: RuleSet) -> Evaluation:
        return api.evaluate_case(case_of(state), ruleset)

    def page(template: str, status: int = 200, **context: Any) -> Response:
        return Response(render_template(template, **context), status=status, mimetype="text/html")

    # --- every request --------------------------------------------------------------------------

    @app.before_request
    def protect() -> Response | None:
        if allowed is not None and not host_allowed(request.host, allowed):
            abort(400, "This host is not allowed.")
        g.browser = request.cookies.get(security.COOKIE) or None
        g.new_browser = None
        if g.browser is None:
            g.new_browser = g.browser = security.new_browser_id()
        if request.method == "POST" and not security.valid(store.secret, request.cookies.get(security.COOKIE),
                                                          request.form.get(security.FIELD)):
            return page("error.html", 400, title="The form has expired",
                        message="This form was not sent from this app in this browser, or it has expired. "
                                "Go back, reload the page and send it again.")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in security.HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", security.PAGE_POLICY)
        if g.get("new_browser"):
            response.set_cookie(security.COOKIE, g.new_browser, httponly=True, samesite="Lax",
                                secure=request.is_secure, max_age=60 * 60 * 24 * 365)
        return response

    @app.context_processor
    def forms() -> dict[str, Any]:
        return {"csrf_token": security.token(store.secret, g.get("browser") or ""),
                "csrf_field": security.FIELD, "status_labels": STATUS_LABELS}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed", 413: "Too large", 400: "Bad request"}
        if exc.code == 400 and "host" in (exc.description or "").lower():
            return Response("This address is not allowed: open the app at http://127.0.0.1.", 400,
                            mimetype="text/plain")
        message = exc.description or ""
        if exc.code == 413:
            message = f"The upload is larger than {app.config['MAX_CONTENT_LENGTH'] // 1000:,} KB."
        response = page("error.html", exc.code or 500, title=titles.get(exc.code or 500, "Error"), message=message)
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value  # e.g. Allow on a 405
        return response

    @app.errorhandler(TransferlawError)
    def located_error(exc: TransferlawError) -> Response:
        return page("error.html", 500, title="The rule set cannot be used",
                    message="The rule set behind this page has errors:", report=exc.report())

    # --- choosing a rule set, or uploading a case ----------------------------------------------------

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return redirect(url_for("static", filename="favicon.svg"), 301)  # type: ignore[return-value]

    @app.get("/")
    def index() -> Response:
        return page("index.html", **choices())

    def choices(**extra: Any) -> dict[str, Any]:
        rows, broken = [], []
        for ident, path in sorted(available().items()):
            try:
                rows.append(api.load_ruleset(path))
            except TransferlawError as exc:
                broken.append((ident, exc.report()))
        return {"rulesets": rows, "broken": broken, **extra}

    @app.post("/start")
    def start() -> Response:
        ruleset = ruleset_of(request.form.get("ruleset", ""))
        try:
            state = steps.start(ruleset, request.form.get("title"), as_of=today())
        except AnswerError as exc:  # a title no case file could hold
            return page("index.html", 400, **choices(start_error=str(exc)))
        return redirect(url_for("interview", ident=store.create(state)), 303)  # type: ignore[return-value]

    @app.post("/upload")
    def upload() -> Response:
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
            saved, ruleset = api.load_upload(text, name, dirs)
        except TransferlawError as exc:
            return page("index.html", 400, **choices(upload_errors=exc.report().splitlines()))
        state = steps.start(ruleset, saved.title, saved.facts, saved.skipped, saved.as_of or today(), saved.notes)
        state = steps.replace(state, asked=tuple(q.id for q in ruleset.questions  # so that Back can undo them
                                                 if q.id in state.facts or q.id in state.skipped))
        return redirect(url_for("interview", ident=store.create(state)), 303)  # type: ignore[return-value]

    # --- the interview ----------------------------------------------------------------------------

    @app.get("/i/<ident>")
    def interview(ident: str) -> Response:
        state, ruleset = interview_of(ident)
        return page("interview.html", **interview_context(ident, state, ruleset))

    def interview_context(ident: str, state: steps.State, ruleset: RuleSet, **extra: Any) -> dict[str, Any]:
        question = steps.current(ruleset, state)
        return {"ident": ident, "state": state, "ruleset": ruleset, "question": question,
                "options": options(question, ruleset) if question else [],
                "accepts": accepted(question) if question else "",
                "live": steps.live(ruleset, state.facts), "progress": steps.progress(ruleset, state),
                "version": steps.version(state),
                "error": None, "entered": None, **extra}

    @app.post("/i/<ident>")
    def step(ident: str) -> Response:
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
                entered=[_UNFIT.sub("", v) for v in request.form.getlist("value")]))  # shown back without them
        if not store.replace(ident, state, revision):  # another request changed it since it was read
            return conflict(ident)
        return redirect(url_for("interview", ident=ident) + "#question", 303)  # type: ignore[return-value]

    def raw_answer(ruleset: RuleSet, question_id: str) -> str:
        """The form's answer as the terminal interview would read it."""
        question = ruleset.question_by_id.get(question_id)
        values = [v for v in request.form.getlist("value")]
        if question is None:
            return ""
        if question.type == "multi":
            return ", ".join(values) if values else "none"
        if question.type in ("boolean", "choice") and not values:
            raise AnswerError("Choose one of the answers, or press “Unknown”.")
        if not values or not values[0].strip():
            raise AnswerError("Type an answer, or press “Unknown”.")
        return values[0]

    # --- the memo ----------------------------------------------------------------------------------

    @app.get("/i/<ident>/memo")
    def memo(ident: str) -> Response:
        state, ruleset = interview_of(ident)
        evaluation = evaluation_of(state, ruleset)
        document = api.memo_document(evaluation, state.as_of)
        facts = [(q, fact_display(q, state.facts.get(q.id)), q.id in state.facts)
                 for q in ruleset.questions if q.type != "text"]
        return page("memo.html", ident=ident, state=state, ruleset=ruleset, memo=document, facts=facts,
                    formats=list(FORMATS))

    @app.get("/i/<ident>/memo.html")
    def memo_html(ident: str) -> Response:
        state, ruleset = interview_of(ident)
        html = api.render_document(api.memo_document(evaluation_of(state, ruleset), state.as_of), "html")
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = security.memo_policy(html.decode("utf-8"))
        return response

    @app.get("/i/<ident>/download/<fmt>")
    def download(ident: str, fmt: str) -> Response:
        if fmt not in FORMATS:
            abort(404, f"There is no “{fmt}” format; choose one of {', '.join(FORMATS)}.")
        state, ruleset = interview_of(ident)
        data = api.render_document(api.memo_document(evaluation_of(state, ruleset), state.as_of), fmt)
        response = Response(data, content_type=FORMATS[fmt])
        response.headers["Content-Disposition"] = f'attachment; filename="{slug(state.title)}.{fmt}"'
        if fmt == "html":
            response.headers["Content-Security-Policy"] = security.memo_policy(data.decode("utf-8"))
        return response

    @app.get("/i/<ident>/case.yaml")
    def case_file(ident: str) -> Response:
        state, ruleset = interview_of(ident)
        text = case_yaml(ruleset, state.title, state.facts, state.as_of, skipped=state.skipped, notes=state.notes)
        response = Response(text, mimetype="application/yaml")
        response.headers["Content-Disposition"] = f'attachment; filename="{slug(state.title)}.yaml"'
        return response

    @app.get("/i/<ident>/explain/<issue>")
    def explain(ident: str, issue: str) -> Response:
        state, ruleset = interview_of(ident)
        if issue not in ruleset.issue_by_id and issue not in ruleset.conclusion_by_id:
            abort(404, f"There is no issue or conclusion “{issue}” in this rule set.")
        evaluation = evaluation_of(state, ruleset)
        explained = api.explain_finding(evaluation, issue)
        conclusions = {c.conclusion.id: c.explanation for c in evaluation.conclusions}
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

    @app.get("/i/<ident>/whatif/<fact>")
    def what_if(ident: str, fact: str) -> Response:
        chosen = request.args.get("value")
        state, ruleset, question, after, _ = changed(ident, fact, chosen)
        changes = None
        if after is not None:
            program = kleene.program(ruleset)
            changes = [(ruleset.issue_by_id[c.issue], c.before, c.after) for c in sensitivity.changes(
                ruleset, program.values(state.facts), program.values(after.facts))]
        return page("whatif.html", ident=ident, state=state, ruleset=ruleset, question=question,
                    current=fact_display(question, state.facts.get(fact)), options=alternatives(question, ruleset),
                    chosen=chosen, changes=changes)

    @app.post("/i/<ident>/whatif/<fact>")
    def apply_what_if(ident: str, fact: str) -> Response:
        _, _, _, state, revision = changed(ident, fact, request.form.get("value", ""))
        assert state is not None
        if not store.replace(ident, state, revision):  # another request changed it since it was read
            return conflict(ident)
        return redirect(url_for("memo", ident=ident), 303)  # type: ignore[return-value]

    return app


# --- answers as form options --------------------------------------------------------------------

def options(question: Question, ruleset: RuleSet) -> list[tuple[str, str]]:
    """(form value, label) for a question answered by picking: booleans, choices, multi; numbers and
    dates get the values either side of every threshold the rule set uses (for what-if)."""
    if question.type == "boolean":
        return [("yes", "Yes"), ("no", "No")]
    if question.type in ("choice", "multi"):
        return list(question.choices)
    return [(steps.answer_text(v), fact_display(question, v)) for v in domain(question, ruleset)
            if sensitivity.proposable(question, v)]  # never 5e-05: the form would refuse it


def alternatives(question: Question, ruleset: RuleSet) -> list[tuple[str, str]]:
    """The answers a what-if offers: :func:`options`, but for a multi question the combinations that can
    change a finding (none, each one alone, all) rather than single ticks."""
    if question.type != "multi":
        return options(question, ruleset)
    return [(steps.answer_text(v), fact_display(question, v)) for v in domain(question, ruleset)]


def choice_value(question: Question, ruleset: RuleSet, chosen: str) -> Value | None:
    """A what-if choice ("unknown", or one of :func:`options`, or for multi a comma list) as a value."""
    if chosen == "unknown":
        return None
    try:
        found = steps.answer(ruleset, steps.State(ruleset=ruleset.id), question.id, chosen).facts.get(question.id)
    except AnswerError:
        abort(400, f"“{chosen}” is not an answer to this question: {accepted(question)}")
    return found


def slug(title: str) -> str:
    """A file name from a case title: letters, digits and dashes."""
    return _SLUG.sub("-", title).strip("-")[:60] or "memo"
