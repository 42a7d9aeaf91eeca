"""The dashboard: figures and ECharts charts, scoped to what the user may see."""
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user, login_required

from kehu.dashboard import query
from kehu.platform.permissions import require

pages = Blueprint("dashboard_pages", __name__, template_folder="templates")


@pages.route("/")
@login_required
def home():
    widgets = []
    for found in current_app.extensions["kehu_plugins"].hook("dashboard_widgets")(user=current_user):
        widgets.extend(found or [])
    can_read = current_user.has_permission("customer.read")
    total = query.total_customers(current_user) if can_read else None
    return render_template("dashboard/dashboard.html", total=total, planned=query.planned_count(current_user),
                           widgets=widgets, can_read=can_read)


@pages.route("/dashboard/data")
@login_required
@require("customer.read")
def dashboard_data():
    """The chart data as JSON; every figure counts only customers the user may see."""
    return jsonify(growth=query.growth(current_user), counties=query.by_county(current_user),
                   industries=query.by_industry(current_user), funnel=query.funnel(current_user))
