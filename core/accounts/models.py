from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import TimestampMixin, UTCDateTime


class Team(AuditedMixin, TimestampMixin, db.Model):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)


class Role(AuditedMixin, TimestampMixin, db.Model):
    """A named set of permissions plus the record scope (own, team or all) it reads and writes."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(80), nullable=False)
    permissions: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    scope: Mapped[str] = mapped_column(String(8), default="own", nullable=False)


class User(UserMixin, AuditedMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __audit_exclude__ = ("created_at", "updated_at", "password_hash", "last_login_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(80), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), nullable=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role: Mapped[Role] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.active

    def has_permission(self, permission: str) -> bool:
        # The admin role holds every permission, also those that plugins enabled later declare.
        return self.role.name == "admin" or permission in self.role.permissions

    @property
    def scope(self) -> str:
        return self.role.scope


class ApiToken(AuditedMixin, TimestampMixin, db.Model):
    """A Bearer token for integrators. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_token"
    __audit_exclude__ = ("created_at", "updated_at", "token_hash", "last_used_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
