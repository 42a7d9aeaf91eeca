from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
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
    # set when an admin resets the password: the user chooses their own at the next sign-in
    password_change_required: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    role: Mapped[Role] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")

    # The browser session this request runs in (kehu.accounts.sessions): flask-login keeps its key, not
    # the user id, in the session and remember-me cookies, so that revoking the row signs the cookie out.
    session_key = None  # str: set by kehu.accounts.sessions.start and user_for

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_key

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


class UserSession(db.Model):
    """One signed-in browser: the cookies hold ``s.<secret>``; only its SHA-256 is stored.

    Logging out, changing the password or an admin's reset sets ``revoked_at``: a copied cookie then
    signs nobody in.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    remember: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(db.Model):
    """A failed sign-in: the name typed (whether or not such a user exists) and the client address."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    address: Mapped[str] = mapped_column(String(45), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (Index("ix_login_failure_username_at", "username", "at"),)


class DefaultGrant(db.Model):
    """A permission a plugin's ``default_role_permissions`` gave a default role: granted once only, so a
    permission an admin took away is not given back when the plugin is enabled again."""

    __tablename__ = "role_default_grant"

    role_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    permission: Mapped[str] = mapped_column(String(80), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
