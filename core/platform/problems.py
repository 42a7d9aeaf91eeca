"""RFC 9457 problem details for every API error, so no client ever sees an HTML 500."""
from flask import jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from kehu.platform.messages import translated

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra):
    body = {"type": PROBLEM_TYPE, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    return response


def wants_problem() -> bool:
    return request.path.startswith(("/api/", "/webhooks/"))


def from_http_exception(error: HTTPException):
    """Problem for an HTTPException; smorest puts validation messages in ``error.data``."""
    data = getattr(error, "data", None) or {}
    errors = translated(data.get("messages") or data.get("errors"))
    detail = data.get("message") or (error.description if error.code != 500 else None)
    response = problem(error.code or 500, error.name, detail, errors=errors)
    for key, value in (data.get("headers") or {}).items():
        response.headers[key] = value
    for key, value in error.get_headers():
        if key.lower() == "allow":  # a 405 says which methods the URL takes
            response.headers[key] = value
    return response


def internal_error(error):
    """Last resort: log the real error, answer a problem that leaks nothing."""
    original = getattr(error, "original_exception", error)
    if isinstance(original, HTTPException) and not isinstance(original, InternalServerError):
        return from_http_exception(original)
    return problem(500, "Internal Server Error", _("服务器内部错误，已记录，请稍后重试。"))


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict()
