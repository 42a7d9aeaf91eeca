"""REST API under /api/v1 (flask-smorest); every error is a problem-details document."""
from flask import g, request
from flask_login import current_user, login_user
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api

from kehu.auth import tokens
from kehu.extensions import csrf
from kehu.problems import from_http_exception

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _schema_name(schema):
    """Distinct OpenAPI names for partial (PATCH) variants of the same schema class."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    return f"{name}Patch" if getattr(schema, "partial", False) and not name.endswith("Patch") else name


class KehuApi(Api):
    def __init__(self, app=None):
        super().__init__(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name)})

    def handle_http_exception(self, error):
        return from_http_exception(error)


def authenticate_api_request():
    """Bearer token first; a browser session works too, with a CSRF token on unsafe methods."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = tokens.user_for(header[7:].strip())
        if user is not None:
            login_user(user)  # request-scoped; does not write a session cookie for API clients
            g.kehu_token_auth = True
        return
    if current_user.is_authenticated and request.method in UNSAFE:
        csrf.protect()


def register_api(app, api):
    from kehu.api import customers, interactions, me, plugins, tags

    for module in (customers, interactions, tags, plugins, me):
        csrf.exempt(module.blp)
        module.blp.before_request(authenticate_api_request)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.blp.url_prefix or ''}")
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
