"""Run the web app on a local address until interrupted."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from werkzeug.serving import make_server

from ..api import EngineChoice
from ..language.errors import OutputError
from .app import LOCAL_HOSTS
from .app import create_app


def is_local(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, rules_dirs: Sequence[Path] | None = None, state_dir: Path | None = None,
          say: Callable[[str], None] = print, engine: EngineChoice = "auto") -> None:
    """Serve the app at ``host:port`` (threads, one per request) until Ctrl-C; ``engine`` evaluates."""
    app = create_app(rules_dirs, state_dir, trusted_hosts=LOCAL_HOSTS if is_local(host) else None, engine=engine)
    _check_free(host, port)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise OutputError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    shown = f"[{host}]" if ":" in host else host
    if not is_local(host):
        say(f"Warning: listening on {host}, so other computers can reach this app and every interview in it. "
            "Use --host 127.0.0.1 unless that is what you want.")
    say(f"transferlaw is running at http://{shown}:{server.server_port}/ (press Ctrl-C to stop)")
    try:
        server.serve_forever()  # returns on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    say("Stopped.")


def _check_free(host: str, port: int) -> None:
    """Fail with a plain message if the address is taken (werkzeug would print its own and exit)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise OutputError(f"cannot listen on {host}:{port}: {(exc.strerror or str(exc)).lower()}") from exc
