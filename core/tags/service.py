"""Every write to tags: the API, the customer form (new tags typed in) and plugins come through here."""
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from kehu.extensions import db
from kehu.tags.models import Tag


class TagConflict(Exception):
    """A tag of that name exists already."""


class UnknownTags(Exception):
    """Names of tags that do not exist and may not be created; the message lists them."""

    def __init__(self, names: list[str]):
        super().__init__(_("标签不存在：%(names)s", names="、".join(names)))
        self.names = names


def _unique_name(name: str, current_id: int | None = None) -> None:
    existing = db.session.scalar(select(Tag).where(Tag.name == name))
    if existing is not None and existing.id != current_id:
        raise TagConflict(_("标签已存在：%(name)s", name=name))


def create_tag(data: dict) -> Tag:
    _unique_name(data["name"])
    tag = Tag(**data)
    db.session.add(tag)
    db.session.commit()
    return tag


def update_tag(tag: Tag, data: dict) -> Tag:
    if "name" in data:
        _unique_name(data["name"], tag.id)
    for key, value in data.items():
        setattr(tag, key, value)
    db.session.commit()
    return tag


def delete_tag(tag: Tag) -> None:
    db.session.delete(tag)
    db.session.commit()


_NAMED = select(Tag).where(Tag.name.in_(bindparam("names", expanding=True)))  # built once: every save asks


def resolve_tags(names, may_create: bool) -> list[Tag]:
    """The tags named (sorted by name), creating missing ones when ``may_create``; else UnknownTags.

    Does not commit: the caller's save does.
    """
    names = list(dict.fromkeys(names))
    tags = list(db.session.scalars(_NAMED, {"names": names})) if names else []
    missing = [n for n in names if n not in {t.name for t in tags}]
    if missing and not may_create:
        raise UnknownTags(missing)
    for name in missing:
        tag = Tag(name=name)
        db.session.add(tag)
        tags.append(tag)
    return sorted(tags, key=lambda t: t.name)
