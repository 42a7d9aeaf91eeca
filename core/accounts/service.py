"""Every write to accounts: users, roles, teams (the admin pages, the CLI, the demo and tests call it).

Also the data every installation needs: the default roles.
"""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from kehu.accounts import lockout, sessions
from kehu.accounts.models import DefaultGrant, Role, Team, User
from kehu.accounts.passwords import MIN_LENGTH, check_password, hash_password
from kehu.accounts.permissions import DEFAULT_ROLES
from kehu.extensions import db
from kehu.platform.time import utcnow


def ensure_default_roles() -> dict[str, Role]:
    """Create missing default roles; existing ones keep the permissions admins gave them."""
    roles = {r.name: r for r in db.session.scalars(select(Role))}
    for name, (title, permissions, scope) in DEFAULT_ROLES.items():
        if name not in roles:
            roles[name] = Role(name=name, title=str(title), permissions=list(permissions), scope=scope)
            db.session.add(roles[name])
    db.session.commit()
    return roles


def grant_plugin_defaults() -> list[tuple[str, str]]:
    """Give the default roles what the enabled plugins say they need (hook ``default_role_permissions``),
    each permission once ever; returns the (role, permission) pairs granted now."""
    done = set(db.session.execute(select(DefaultGrant.role_name, DefaultGrant.permission)).all())
    roles = {r.name: r for r in db.session.scalars(select(Role).where(Role.name.in_(list(DEFAULT_ROLES))))}
    granted = []
    for wanted in current_app.extensions["kehu_plugins"].hook("default_role_permissions")():
        for role_name, permissions in (wanted or {}).items():
            role = roles.get(role_name)
            for permission in permissions:
                if role is None or (role_name, permission) in done:
                    continue
                done.add((role_name, permission))
                db.session.add(DefaultGrant(role_name=role_name, permission=permission, granted_at=utcnow()))
                if permission not in role.permissions:
                    role.permissions = sorted({*role.permissions, permission})
                    granted.append((role_name, permission))
    db.session.commit()
    return granted


def ensure_team(name: str) -> Team:
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def create_user(username, password, role_name, display_name=None, team=None) -> User:
    role = db.session.scalar(select(Role).where(Role.name == role_name))
    if role is None:
        raise ValueError(f"no role named {role_name!r}")
    user = User(username=username, display_name=display_name or username, role=role, team=team,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


class AccountInvalid(Exception):
    """The change would break a rule; ``errors`` maps each field to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def update_user(user: User, *, role: Role | None, team: Team | None, active: bool, acting: User) -> User:
    """Give ``user`` a role, a team and the active flag; nobody locks themself out."""
    if role is None:
        raise AccountInvalid({"role_id": [_("请选择角色")]})
    if user.id == acting.id and (not active or "user.manage" not in role.permissions):
        raise AccountInvalid({"_user": [_("不能停用自己或取消自己的用户管理权限")]})
    user.role, user.team, user.active = role, team, active
    db.session.commit()
    return user


def create_role(name: str, title: str, permissions: list[str], scope: str) -> Role:
    role = Role(name=name, title=title, permissions=sorted(permissions), scope=scope)
    db.session.add(role)
    db.session.commit()
    return role


def update_role(role: Role, permissions: list[str], scope: str, acting: User) -> Role:
    """Change what ``role`` may do; nobody takes user management from their own role."""
    if role.id == acting.role_id and "user.manage" not in permissions:
        raise AccountInvalid({"permissions": [_("不能取消自己角色的用户管理权限")]})
    role.permissions, role.scope = sorted(permissions), scope
    db.session.commit()
    return role


def _password_errors(password: str, field: str) -> dict:
    if len(password or "") < MIN_LENGTH:
        return {field: [_("密码至少 %(count)s 位", count=MIN_LENGTH)]}
    if len(password) > 200:
        return {field: [_("最多 %(max)s 个字符", max=200)]}
    return {}


def change_password(user: User, current: str, new: str, confirm: str) -> int:
    """The user's own change: the current password first. Ends every other session of theirs (the one
    making the change stays); returns how many ended."""
    errors = {} if check_password(user, current or "") else {"current_password": [_("当前密码不正确")]}
    errors |= _password_errors(new, "new_password")
    if not errors and new != confirm:
        errors["confirm_password"] = [_("两次输入的新密码不一致")]
    if not errors and new == current:
        errors["new_password"] = [_("新密码不能与当前密码相同")]
    if errors:
        raise AccountInvalid(errors)
    user.password_hash = hash_password(new)
    user.password_change_required = False
    ended = sessions.revoke_all(user, keep=user.session_key)
    db.session.commit()
    return ended


def reset_password(user: User, new: str, *, temporary: bool = True) -> int:
    """An admin's reset (web or CLI): every session of ``user`` ends, paused sign-ins are lifted, and
    with ``temporary`` the user must choose their own password at the next sign-in. API tokens stay:
    integrations are revoked on the tokens page, on purpose, not by a password reset."""
    errors = _password_errors(new, "password")
    if errors:
        raise AccountInvalid(errors)
    user.password_hash = hash_password(new)
    user.password_change_required = temporary
    ended = sessions.revoke_all(user)
    lockout.clear(user.username)
    db.session.commit()
    return ended


def unlock(user: User) -> None:
    """Lift every pause on signing in as ``user`` (from every address)."""
    lockout.clear(user.username)
    db.session.commit()
