"""Data every installation needs: the default roles and a first admin."""
from sqlalchemy import select

from kehu.accounts.models import Role, Team, User
from kehu.accounts.passwords import hash_password
from kehu.accounts.permissions import DEFAULT_ROLES
from kehu.extensions import db


def ensure_default_roles() -> dict[str, Role]:
    """Create missing default roles; existing ones keep the permissions admins gave them."""
    roles = {r.name: r for r in db.session.scalars(select(Role))}
    for name, (title, permissions, scope) in DEFAULT_ROLES.items():
        if name not in roles:
            roles[name] = Role(name=name, title=str(title), permissions=list(permissions), scope=scope)
            db.session.add(roles[name])
    db.session.commit()
    return roles


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
