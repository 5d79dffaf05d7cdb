"""The web app's factory: a Flask app with its limits, its template settings and its state, serving the
routes of :mod:`transferlaw.web.routes`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from flask import Flask
from jinja2 import StrictUndefined

from .. import api
from ..language.words import counted
from . import security
from .routes import EXTENSION
from .routes import FORMATS as FORMATS  # re-exported: the download formats
from .routes import Settings
from .routes import blueprint
from .store import Store


def default_state_dir() -> Path:
    """Where interviews are kept: ``$TRANSFERLAW_STATE_DIR``, else ``$XDG_STATE_HOME/transferlaw/web``."""
    chosen = os.environ.get("TRANSFERLAW_STATE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "transferlaw" / "web"


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def create_app(rules_dirs: Sequence[Path] | None = None, state_dir: Path | None = None,
               today: Callable[[], dt.date] = dt.date.today,
               trusted_hosts: Sequence[str] | None = LOCAL_HOSTS, engine: api.EngineChoice = "auto") -> Flask:
    """The app, keeping interviews in ``state_dir``; ``today`` dates new interviews (fixed in tests);
    ``engine`` evaluates every finding, what-if included.

    Requests must name one of ``trusted_hosts`` (None: any), so that a web page cannot reach the app
    through a DNS name that it points at 127.0.0.1 (DNS rebinding).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = security.MAX_REQUEST
    app.config["MAX_FORM_MEMORY_SIZE"] = security.MAX_REQUEST  # one limit for every field, said in its message
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["counted"] = counted
    dirs = list(rules_dirs) if rules_dirs else None
    app.extensions[EXTENSION] = Settings(
        store=Store(state_dir or default_state_dir()), rules_dirs=dirs,
        engine=engine, today=today, trusted_hosts=tuple(trusted_hosts) if trusted_hosts is not None else None,
        workspace=api.Workspace(dirs, engine))
    app.register_blueprint(blueprint)
    return app

