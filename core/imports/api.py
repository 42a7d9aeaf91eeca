"""/api/v1/imports: upload a sheet (the dry run starts by itself), read its report, correct the mapping,
run it, undo it. Everything needs ``customer.import``; a job is seen by whoever started it (and by
users whose scope is "all")."""
from flask import Response
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort

from kehu.extensions import db
from kehu.imports import query, service
from kehu.imports.readers import FileRefused
from kehu.imports.schemas import (ImportJobSchema, ImportRowArgs, ImportRowSchema, RemapSchema, TargetSchema,
                                  UploadFileSchema, UploadOptionsSchema)
from kehu.platform.pagination import page_of
from kehu.platform.permissions import require

blp = Blueprint("imports", __name__, url_prefix="/imports",
                description="Customer imports from .xlsx, .xls and .csv: dry run, run, undo")
PERMISSION = "customer.import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job_or_404(job_id):
    job = query.visible_job(job_id, current_user)
    if job is None:
        abort(404, message=_("没有这个导入"))
    return job


def _refused(exc):
    db.session.rollback()
    abort(422, message="invalid import", messages={"json": exc.errors})


@blp.route("")
class Imports(MethodView):
    @require(PERMISSION)
    @blp.response(200, ImportJobSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The imports the caller started, newest first."""
        return page_of(query.jobs_for(current_user), pagination_parameters)

    @require(PERMISSION)
    @blp.arguments(UploadFileSchema(), location="files")
    @blp.arguments(UploadOptionsSchema(), location="form")
    @blp.response(202, ImportJobSchema())
    def post(self, files, options):
        """Upload a sheet (multipart field `file`); its mapping is guessed and the dry run starts.

        Poll `GET /imports/<id>` until `status` is `checked`, then read the report and
        `POST /imports/<id>/commit`. A file that cannot be read is a 422 saying why."""
        upload = files["file"]
        data = upload.read(service.readers.MAX_BYTES + 1)
        try:
            return service.start_import(current_user, upload.filename, data, options)
        except FileRefused as exc:
            db.session.rollback()
            abort(422, message="file refused", messages={"files": {"file": [str(exc)]}})
        except service.ImportInvalid as exc:
            _refused(exc)


@blp.route("/targets")
class ImportTargets(MethodView):
    @require(PERMISSION)
    @blp.response(200, TargetSchema(many=True))
    def get(self):
        """The fields a column can go into, with their titles in the caller's language."""
        return service.targets_offered()


@blp.route("/<id:job_id>")
class ImportById(MethodView):
    @require(PERMISSION)
    @blp.response(200, ImportJobSchema())
    def get(self, job_id):
        """Status, progress, counts per action, the columns and what each maps to."""
        return _job_or_404(job_id)

    @require(PERMISSION)
    @blp.arguments(RemapSchema())
    @blp.response(202, ImportJobSchema())
    def patch(self, data, job_id):
        """Correct the mapping or the options; the dry run is made again."""
        job = _job_or_404(job_id)
        remember = data.pop("remember", True)
        try:
            return service.remap(job, current_user, data.pop("mapping", None), data, remember)
        except service.ImportInvalid as exc:
            _refused(exc)


@blp.route("/<id:job_id>/rows")
class ImportRows(MethodView):
    @require(PERMISSION)
    @blp.arguments(ImportRowArgs(), location="query", as_kwargs=False)
    @blp.response(200, ImportRowSchema(many=True))
    @blp.paginate()
    def get(self, args, job_id, pagination_parameters):
        """The report, line by line: what each customer of the file will do (or did), and why."""
        return page_of(query.rows_of(_job_or_404(job_id), args.get("action")), pagination_parameters)


@blp.route("/<id:job_id>/errors.xlsx")
class ImportErrors(MethodView):
    @require(PERMISSION)
    @blp.response(200, description="the refused rows with a 错误原因 column",
                  content_type=XLSX)
    @blp.alt_response(410, description="the upload was deleted after its retention period")
    def get(self, job_id):
        """The refused rows as the file had them, with the reason in a last column: fix, upload again."""
        job = _job_or_404(job_id)
        try:
            body = service.error_workbook(job)
        except FileRefused as exc:  # the upload was deleted after its retention period
            abort(410, message=str(exc))
        name = f"import-{job.id}-errors.xlsx"
        return Response(body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/<id:job_id>/commit")
class ImportCommit(MethodView):
    @require(PERMISSION)
    @blp.response(202, ImportJobSchema())
    def post(self, job_id):
        """Run a checked import: its rows are written in batches; poll for `done_rows`."""
        try:
            return service.commit_import(_job_or_404(job_id), current_user)
        except service.ImportInvalid as exc:
            _refused(exc)


@blp.route("/<id:job_id>/undo")
class ImportUndo(MethodView):
    @require(PERMISSION)
    @blp.response(202, ImportJobSchema())
    def post(self, job_id):
        """Take a finished import back: created customers deleted, updated ones restored (audited)."""
        try:
            return service.undo_import(_job_or_404(job_id), current_user)
        except service.ImportInvalid as exc:
            _refused(exc)
