"""Access-log lines without query values: searches carry phone numbers and names, links carry tokens.

``kehu run`` serves with this request handler; for gunicorn behind nginx the documented formats
(docs/security.md) log the path without the query string the same way.
"""
from urllib.parse import parse_qsl, quote

from werkzeug.serving import WSGIRequestHandler


def redact_target(target: str) -> str:
    """``/customers?q=13853701234&page=2`` -> ``/customers?q=…&page=…``: which parameters, not what."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    names = [name for name, _value in parse_qsl(query, keep_blank_values=True)]
    return f"{path}?{'&'.join(quote(name) + '=…' for name in names)}" if names else f"{path}?…"


class RedactingRequestHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        # werkzeug builds the line from self.path (and self.requestline when the request was bad)
        saved = self.__dict__.get("path"), self.requestline
        if saved[0] is not None:
            self.path = redact_target(saved[0])
        method, _, rest = self.requestline.partition(" ")
        target, _, version = rest.rpartition(" ") if " " in rest else (rest, "", "")
        self.requestline = f"{method} {redact_target(target)} {version}".rstrip()
        try:
            super().log_request(code, size)
        finally:
            if saved[0] is not None:
                self.path = saved[0]
            self.requestline = saved[1]
