"""Export pages: the customer list's 导出 button leads here (the list's filter in the address), then
the job's page follows its progress and offers the download while the file is there."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from kehu.customers.chips import describe_filter
from kehu.customers.query import FilterInvalid, customer_select, filter_from_args, known_total
from kehu.exports import query, service
from kehu.exports.api import PERMISSION, download
from kehu.exports.formats import available_formats
from kehu.extensions import db
from kehu.platform.pagination import count_of
from kehu.platform.permissions import require
from kehu.web.form_errors import field_errors

pages = Blueprint("export_pages", __name__, template_folder="templates")
LIST_SIZE = 50
NOT_FILTERS = ("csrf_token", "format", "page")


def job_or_404(job_id: int):
    job = query.own_job(job_id, current_user)
    if job is None:
        abort(404)
    return job


def _filter_args(values) -> MultiDict:
    return MultiDict((k, v) for k, v in values.items(multi=True) if k not in NOT_FILTERS and v.strip())


def _render_new(args: MultiDict, errors: dict, status: int = 200):
    total = None
    if not errors:
        filters = filter_from_args(args)
        total = known_total(filters, current_user)
        total = count_of(customer_select(filters, current_user)) if total is None else total
    return render_template("exports/new.html", args=args, errors=errors, total=total, chips=describe_filter(args),
                           formats=available_formats().values(), chosen=request.values.get("format", "xlsx")), status


@pages.route("/exports/new", methods=["GET", "POST"])
@login_required
@require(PERMISSION)
def new_export():
    """GET: what will be exported (the list's filter in words, how many) and the format; POST: start it."""
    args = _filter_args(request.values)
    try:
        filters = filter_from_args(args)
    except FilterInvalid as exc:  # a hand-edited address: say what is wrong, as the list does
        return _render_new(args, field_errors(exc.errors), 422)
    if request.method == "GET":
        return _render_new(args, {})
    try:
        job = service.start_export(filters, request.form.get("format", "xlsx"), current_user)
    except service.ExportInvalid as exc:
        return _render_new(args, field_errors(exc.errors), 422)
    except service.ExportRefused as exc:
        return _render_new(args, {"_export": [str(exc)]}, 429)
    return redirect(url_for("export_pages.export_job", job_id=job.id))


@pages.route("/exports")
@login_required
@require(PERMISSION)
def export_list():
    jobs = db.session.scalars(query.own_jobs(current_user).limit(LIST_SIZE)).all()
    return render_template("exports/list.html", jobs=jobs, expired={job.id for job in jobs if query.is_expired(job)})


@pages.route("/exports/<id:job_id>")
@login_required
@require(PERMISSION)
def export_job(job_id):
    job = job_or_404(job_id)
    return render_template("exports/job.html", job=job, chips=describe_filter(job.filter_args),
                           expired=query.is_expired(job))


@pages.route("/exports/<id:job_id>/progress")
@login_required
@require(PERMISSION)
def export_progress(job_id):
    """The progress part of the job's page, which asks for it again every two seconds until the job ends."""
    job = job_or_404(job_id)
    return render_template("exports/_progress.html", job=job, expired=query.is_expired(job))


@pages.route("/exports/<id:job_id>/download")
@login_required
@require(PERMISSION)
def export_download(job_id):
    job = job_or_404(job_id)
    try:
        return download(job)
    except HTTPException as exc:  # expired or not made: the job's page says which, not a bare error
        return render_template("exports/job.html", job=job, chips=describe_filter(job.filter_args),
                               expired=query.is_expired(job), message=_("文件已过期，请重新导出。")
                               if exc.code == 410 else _("文件还没有生成。")), exc.code
