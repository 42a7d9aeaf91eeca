"""JSON APIs of plugins: a flask-smorest blueprint under /api/v1/<plugin>, in the OpenAPI like core's.

Paginate as core does (one envelope everywhere: a JSON list, the totals in the ``X-Pagination``
header, ``page`` and ``page_size`` arguments)::

    @api.route("/things")
    class Things(MethodView):
        @require_permission("demo.read")
        @api.response(200, ThingSchema(many=True))
        @api.paginate()
        def get(self, pagination_parameters):
            return page_of(select(Thing).order_by(Thing.id), pagination_parameters)
"""
from flask_smorest import abort

from kehu.platform.pagination import page_of
from kehu_sdk.blueprints import PluginApi

__all__ = ["PluginApi", "abort", "page_of"]
