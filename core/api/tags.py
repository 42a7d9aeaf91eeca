"""Tags (shared by all users; managing them needs tag.manage)."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select

from kehu.auth.permissions import require
from kehu.extensions import db
from kehu.models import Tag, customer_tags
from kehu.schemas.tag import TagSchema

blp = Blueprint("tags", __name__, url_prefix="/tags", description="Customer tags")


def _with_counts(tags):
    counts = dict(db.session.execute(select(customer_tags.c.tag_id, func.count())
                                     .group_by(customer_tags.c.tag_id)).all())
    for tag in tags:
        tag.customer_count = counts.get(tag.id, 0)
    return tags


def _unique_name(name, current_id=None):
    existing = db.session.scalar(select(Tag).where(Tag.name == name))
    if existing is not None and existing.id != current_id:
        abort(409, message=f"tag {name!r} exists already")


@blp.route("")
class Tags(MethodView):
    @require("customer.read")
    @blp.response(200, TagSchema(many=True))
    def get(self):
        return _with_counts(db.session.scalars(select(Tag).order_by(Tag.name)).all())

    @require("tag.manage")
    @blp.arguments(TagSchema)
    @blp.response(201, TagSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        _unique_name(data["name"])
        tag = Tag(**data)
        db.session.add(tag)
        db.session.commit()
        return _with_counts([tag])[0]


def tag_or_404(tag_id):
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        abort(404, message="tag not found")
    return tag


@blp.route("/<id:tag_id>")
class TagById(MethodView):
    @require("tag.manage")
    @blp.arguments(TagSchema(partial=True))
    @blp.response(200, TagSchema)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data, tag_id):
        tag = tag_or_404(tag_id)
        if "name" in data:
            _unique_name(data["name"], tag.id)
        for key, value in data.items():
            setattr(tag, key, value)
        db.session.commit()
        return _with_counts([tag])[0]

    @require("tag.manage")
    @blp.response(204)
    def delete(self, tag_id):
        db.session.delete(tag_or_404(tag_id))
        db.session.commit()
