"""Tags (shared by all users; managing them needs tag.manage)."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from kehu.extensions import db
from kehu.platform.permissions import require
from kehu.tags import query, service
from kehu.tags.models import Tag
from kehu.tags.schemas import TagSchema

blp = Blueprint("tags", __name__, url_prefix="/tags", description="Customer tags")


def tag_or_404(tag_id):
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        abort(404, message=_("标签不存在"))
    return tag


def _saved(action):
    try:
        return query.with_counts([action()])[0]
    except service.TagConflict as exc:
        db.session.rollback()
        abort(409, message=str(exc))


@blp.route("")
class Tags(MethodView):
    @require("customer.read")
    @blp.response(200, TagSchema(many=True))
    def get(self):
        return query.with_counts(query.all_tags())

    @require("tag.manage")
    @blp.arguments(TagSchema)
    @blp.response(201, TagSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        return _saved(lambda: service.create_tag(data))


@blp.route("/<id:tag_id>")
class TagById(MethodView):
    @require("tag.manage")
    @blp.arguments(TagSchema(partial=True))
    @blp.response(200, TagSchema)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data, tag_id):
        tag = tag_or_404(tag_id)
        return _saved(lambda: service.update_tag(tag, data))

    @require("tag.manage")
    @blp.response(204)
    def delete(self, tag_id):
        service.delete_tag(tag_or_404(tag_id))
