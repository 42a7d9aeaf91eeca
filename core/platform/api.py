"""REST API under /api/v1 (flask-smorest); every error is a problem-details document."""
from http import HTTPStatus

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from kehu.platform.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE, ProblemSchema, from_http_exception
from kehu.platform.schema_fields import MAX_ROW_ID

API_PREFIX = "/api/v1"


def _schema_name(schema):
    """Distinct OpenAPI names for partial (PATCH) variants of the same schema class."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    name = f"{name}Patch" if getattr(schema, "partial", False) and not name.endswith("Patch") else name
    plugin = getattr(cls, "__plugin__", None)  # kehu_sdk.PluginSchema: named inside its plugin
    return f"{plugin}.{name}" if plugin else name


class RowIdConverter(IntegerConverter):
    """``<id:customer_id>``: a number outside the id range names nothing (404) and never reaches SQL."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


class ErrorResponses(BasePlugin):
    """Documents the errors any operation may answer besides its own 409s and 422s."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            documented = {str(code) for code in responses}
            expected = {"401": "UNAUTHORIZED", "403": "FORBIDDEN"}  # every operation needs a permission
            if "{" in path:
                expected["404"] = "NOT_FOUND"  # the path names something that may not exist
            if "requestBody" in operation:
                expected["400"] = "BAD_REQUEST"  # a body that is not JSON
            responses.update({code: name for code, name in expected.items() if code not in documented})


class KehuApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None):
        super().__init__(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name),
                                           "extra_plugins": [ErrorResponses()]})

    def handle_http_exception(self, error):
        return from_http_exception(error)

    def _register_responses(self):
        """smorest's shared responses, with errors documented as the problem documents they are."""
        problem = {"content": {PROBLEM_MEDIA_TYPE: {"schema": self.ERROR_SCHEMA}}}
        for status in HTTPStatus:
            self.spec.components.response(
                status.name, {"description": status.phrase, **(problem if status >= 400 else {})}, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME, {"description": "Any other error", **problem}, lazy=True)


def init_api(app) -> KehuApi:
    api = KehuApi(app)
    app.extensions["kehu_api"] = api
    app.url_map.converters["id"] = RowIdConverter
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    return api
