"""The local web app (``transferlaw serve``): the guided interview, live findings and the memo in a browser.

Flask, because it is Jinja's own web framework (the memo templates already are Jinja), it is synchronous
like the engine, small, and kept by the same maintainers as Jinja and click; its test client drives every
route in the tests. The app serves its own assets, works without JavaScript, and keeps interviews in a
SQLite file on the user's machine.
"""

from .app import create_app as create_app
