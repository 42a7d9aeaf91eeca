"""Import pages: upload → mapping → preview (the dry run's report) → run with a progress bar → undo."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from kehu.customers.query import assignable_owners
from kehu.extensions import db
from kehu.imports import query, service
from kehu.imports.api import PERMISSION, XLSX
from kehu.imports.readers import FileRefused

pages = Blueprint("import_pages", __name__, url_prefix="/imports", template_folder="templates")
REPORT_ROWS = 200
MODE_TITLES = {"skip": _l("跳过已有客户（推荐）"), "upsert": _l("更新已有客户"), "create": _l("全部新建（重复的也新建）")}
ACTION_TITLES = {"create": _l("新建"), "update": _l("更新"), "skip": _l("跳过"), "error": _l("有错误")}
STATUS_TITLES = {"checking": _l("检查中"), "checked": _l("待确认"), "running": _l("导入中"), "done": _l("已完成"),
                 "failed": _l("失败"), "undoing": _l("撤销中"), "undone": _l("已撤销")}


@pages.before_request
@login_required
def _importers_only():
    if not current_user.has_permission(PERMISSION):
        abort(403)


@pages.app_context_processor
def _titles():
    return {"import_actions": ACTION_TITLES, "import_statuses": STATUS_TITLES}


class UploadForm(FlaskForm):
    file = FileField(_l("文件（.xlsx、.xls 或 .csv）"), validators=[FileRequired(message=_l("请选择文件"))])
    mode = SelectField(_l("已有客户怎么办"), choices=[SelectChoice(m, MODE_TITLES[m]) for m in ("skip", "upsert", "create")])
    owner_id = SelectField(_l("导入给"), coerce=str)


class ActionForm(FlaskForm):
    """Buttons (run, undo): only the CSRF token."""


def _upload_form():
    form = UploadForm()
    form.owner_id.choices = [SelectChoice("", _("我自己（或表中的负责人列）"))] + [
        SelectChoice(str(u.id), u.display_name or u.username) for u in assignable_owners(current_user)]
    return form


def _job_or_404(job_id):
    job = query.visible_job(job_id, current_user)
    if job is None:
        abort(404)
    return job


@pages.route("/", methods=["GET", "POST"])
def imports():
    form = _upload_form()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(service.readers.MAX_BYTES + 1)
        try:
            job = service.start_import(current_user, upload.filename, data,
                                       {"mode": form.mode.data, "owner_id": form.owner_id.data or None})
        except FileRefused as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        except service.ImportInvalid as exc:
            db.session.rollback()
            for field, messages in exc.errors.items():
                getattr(form, field, form.file).errors.extend(messages)
        else:
            return redirect(url_for(".import_job", job_id=job.id))
    jobs = list(db.session.scalars(query.jobs_for(current_user).limit(20)))
    status = 422 if form.errors else 200
    return render_template("imports/imports.html", form=form, jobs=jobs), status


def _progress(job) -> dict:
    to_write = (job.counts or {}).get("create", 0) + (job.counts or {}).get("update", 0)
    percent = 100 if job.status in ("done", "undone") else int(job.done_rows * 100 / to_write) if to_write else 0
    return {"percent": min(percent, 100), "to_write": to_write}


@pages.route("/<id:job_id>")
def import_job(job_id):
    job = _job_or_404(job_id)
    action = request.args.get("action") or None
    rows = list(db.session.scalars(query.rows_of(job, action if action in ACTION_TITLES else None).limit(REPORT_ROWS)))
    return render_template("imports/job.html", job=job, rows=rows, action=action, progress=_progress(job),
                           columns=service.columns_of(job), targets=service.targets_offered(),
                           form=ActionForm(), report_rows=REPORT_ROWS)


@pages.route("/<id:job_id>/progress")
def import_progress(job_id):
    """The polled part of the page: a bar while the import works; the page reloads itself when it is done."""
    job = _job_or_404(job_id)
    response = Response(render_template("imports/_progress.html", job=job, progress=_progress(job)))
    if job.status not in ("checking", "running", "undoing") and request.headers.get("HX-Request"):
        response.headers["HX-Refresh"] = "true"  # the report and the buttons of the new state come with the page
    return response


@pages.route("/<id:job_id>/mapping", methods=["POST"])
def import_mapping(job_id):
    job = _job_or_404(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    targets = [request.form.get(f"column-{i}", "") for i in range(len(job.headers))]
    options = {"mode": request.form.get("mode") or job.mode}
    try:
        service.remap(job, current_user, targets, options, remember=True)
    except service.ImportInvalid as exc:
        db.session.rollback()
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "danger")
    return redirect(url_for(".import_job", job_id=job.id))


@pages.route("/<id:job_id>/commit", methods=["POST"])
def import_commit(job_id):
    job = _job_or_404(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.commit_import(job, current_user)
    except service.ImportInvalid as exc:
        db.session.rollback()
        flash("；".join(m for ms in exc.errors.values() for m in ms), "danger")
    return redirect(url_for(".import_job", job_id=job.id))


@pages.route("/<id:job_id>/undo", methods=["POST"])
def import_undo(job_id):
    job = _job_or_404(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.undo_import(job, current_user)
    except service.ImportInvalid as exc:
        db.session.rollback()
        flash("；".join(m for ms in exc.errors.values() for m in ms), "danger")
    return redirect(url_for(".import_job", job_id=job.id))


@pages.route("/<id:job_id>/errors.xlsx")
def import_errors(job_id):
    job = _job_or_404(job_id)
    try:
        body = service.error_workbook(job)
    except FileRefused as exc:
        flash(str(exc), "danger")
        return redirect(url_for(".import_job", job_id=job.id))
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.xlsx"'})
