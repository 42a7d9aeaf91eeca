"""What every HTTP response carries whatever produced it: security headers, Secure cookies over HTTPS,
and the real client address behind the documented nginx set-up.

The web UI has no inline script (its handlers live in static/kehu.js), so the Content-Security-Policy
allows scripts from this site only. Inline ``style`` attributes stay allowed: progress bars set their
width that way and styles cannot run code. Swagger UI (/api/docs) starts itself with an inline script;
that page alone allows it.
"""
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
SWAGGER_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
SWAGGER_PATH = "/api/docs"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response):
    """after_request: a handler that set its own header (a download, an embeddable page) keeps it."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy",
                                SWAGGER_CSP if request.path.startswith(SWAGGER_PATH) else CSP)
    return response


class SecureCookies:
    """WSGI middleware: every Set-Cookie gets ``Secure`` when the policy says so.

    ``auto`` looks at the request's scheme, which behind a proxy is the one ProxyFix read from
    X-Forwarded-Proto; so one setting serves plain-HTTP intranet installs and HTTPS ones alike. Here and
    not in Flask's config because the session, remember-me, language and plugin cookies are set in
    different places.
    """

    def __init__(self, wsgi_app, policy: str):
        if policy not in {"auto", "always", "never"}:
            raise ValueError(f"KEHU_SECURE_COOKIES must be auto, always or never, not {policy!r}")
        self.wsgi_app, self.policy = wsgi_app, policy

    def __call__(self, environ, start_response):
        secure = self.policy == "always" or (self.policy == "auto" and environ.get("wsgi.url_scheme") == "https")
        if not secure:
            return self.wsgi_app(environ, start_response)

        def start(status, headers, exc_info=None):
            headers = [(name, value + "; Secure" if name.lower() == "set-cookie"
                        and "; secure" not in value.lower() else value) for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def wrap_wsgi(app) -> None:
    """Install the middlewares; ProxyFix outermost, so SecureCookies sees the client's scheme."""
    app.wsgi_app = SecureCookies(app.wsgi_app, app.config["KEHU_SECURE_COOKIES"])
    proxies = app.config["KEHU_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies,
                                x_prefix=proxies)
