"""RFC 9457 problem details for every API error, so no client ever sees an HTML 500."""
from flask import jsonify, request
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from kehu.platform.messages import translated

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"

# title, and the detail said when the error brought only werkzeug's English default, in the user's
# language; clients tell problems apart by ``status`` (and ``errors``), never by these texts
STATUS_TEXTS = {
    400: (_l("请求无效"), _l("请求的格式不对，服务器无法读取。")),
    401: (_l("需要登录"), _l("请先登录，或在 Authorization 头中提供有效的令牌。")),
    403: (_l("没有权限"), _l("你的角色没有执行这个操作的权限。")),
    404: (_l("不存在"), _l("没有找到这个地址或记录。")),
    405: (_l("不支持这种请求"), _l("这个地址不支持这种请求方法，可用的方法见 Allow 头。")),
    409: (_l("冲突"), _l("这个操作与现有数据冲突。")),
    410: (_l("已过期"), _l("这个地址或文件已过期，不再提供。")),
    413: (_l("内容太大"), _l("请求的内容超过了允许的大小。")),
    415: (_l("不支持的内容类型"), _l("请用 JSON（Content-Type: application/json）。")),
    422: (_l("输入有误"), _l("请求中有字段不符合要求，详见 errors。")),
    429: (_l("请求太频繁"), _l("请求太频繁，请稍后再试（见 Retry-After）。")),
    500: (_l("服务器内部错误"), _l("服务器内部错误，已记录，请稍后重试。")),
    503: (_l("暂时不可用"), _l("服务暂时不可用，请稍后重试。")),
}


def _title(status: int, fallback: str) -> str:
    return str(STATUS_TEXTS[status][0]) if status in STATUS_TEXTS else fallback


def _detail(error: HTTPException, given: str | None) -> str | None:
    """Our own detail as it is (already in the user's language); werkzeug's default English one, and
    smorest's, said again in the user's language."""
    stock = given is None or given == type(error).description or given in _SMOREST_DEFAULTS
    if stock and error.code in STATUS_TEXTS:
        return str(STATUS_TEXTS[error.code][1])
    return given


_SMOREST_DEFAULTS = {"The request was well-formed but was unable to be followed due to semantic errors."}


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
    detail = _detail(error, data.get("message") or (error.description if error.code != 500 else None))
    response = problem(error.code or 500, _title(error.code or 500, error.name), detail, errors=errors,
                       **(data.get("extra") or {}))  # members a route adds (e.g. a 409's duplicates)
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
    return problem(500, _title(500, "Internal Server Error"), _("服务器内部错误，已记录，请稍后重试。"))


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict()
