"""Who am I, and the audit log."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from kehu.accounts.schemas import AuditArgs, AuditEntrySchema, MeSchema
from kehu.platform.audit import AuditLog, visible_entries
from kehu.platform.pagination import page_of
from kehu.platform.permissions import require

blp = Blueprint("me", __name__, url_prefix="", description="Current user and audit log")


@blp.route("/me")
class Me(MethodView):
    @require("customer.read")
    @blp.response(200, MeSchema)
    def get(self):
        return current_user


@blp.route("/audit")
class Audit(MethodView):
    @require("audit.read")
    @blp.arguments(AuditArgs, location="query", as_kwargs=False)
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Who changed what, newest first: the rows of records the caller may see (admins: all)."""
        query = visible_entries(current_user)
        if args.get("entity"):
            query = query.where(AuditLog.entity == args["entity"])
        if args.get("entity_id"):
            query = query.where(AuditLog.entity_id == args["entity_id"])
        return page_of(query, pagination_parameters)
