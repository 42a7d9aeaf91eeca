"""Reading JSON request bodies: JSON nested deeper than any kehu document is a 400 problem, before any
parser (Flask's, webargs', a webhook's) recurses into it and fails with a 500."""
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, UnprocessableEntity

MAX_JSON_DEPTH = 64  # kehu's deepest documents (custom field schemas) are far shallower


def json_depth(text: str, limit: int) -> int:
    """The nesting depth of the JSON ``text``, counting up to ``limit + 1`` (strings are skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


def check_api_body() -> None:
    """before_request: an API PATCH without a body is a 422 (a change of nothing is a mistake), and an
    API JSON body nested deeper than MAX_JSON_DEPTH is a 400.

    Signed webhooks are left alone: their receiver reads the raw stream itself (size first) and
    refuses too-deep JSON after checking the signature."""
    if not request.path.startswith("/api/"):
        return
    if request.method == "PATCH" and not request.get_data(cache=True).strip():
        raise UnprocessableEntity(_("请求体为空：请以 JSON 写明要修改的字段"))
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return
    text = request.get_data(cache=True).decode("utf-8", "replace")
    if json_depth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise BadRequest(f"the JSON document is nested more than {MAX_JSON_DEPTH} levels deep")


class KehuJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # a body that reached a parser some other way
            raise BadRequest("the JSON document is nested too deeply") from None
