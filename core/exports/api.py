"""/api/v1/exports: export a filtered customer list, follow its progress, download the file.

An export is its user's alone: another user's answers 404, whoever asks. The file is there for
``KEHU_EXPORT_TTL_HOURS`` after it was made; afterwards its download answers 410.
"""
from flask import send_file
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort

from kehu.exports import query, service
from kehu.exports.formats import CSV_MIMETYPE, XLSX_MIMETYPE, available_formats
from kehu.exports.schemas import ExportFormatSchema, ExportJobSchema, ExportRequestSchema
from kehu.platform.pagination import page_of
from kehu.platform.permissions import require

blp = Blueprint("exports", __name__, url_prefix="/exports",
                description="Customer exports: the customer list's filter to xlsx, csv or a plugin's format")
PERMISSION = "customer.export"
FALLBACK_MIMETYPE = "application/octet-stream"  # a plugin format whose plugin was disabled since
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def job_or_404(job_id):
    job = query.own_job(job_id, current_user)
    if job is None:  # also another user's: do not reveal it exists
        abort(404, message=_("导出不存在"))
    return job


def download(job):
    """The file of ``job`` as an attachment; 409 while it is being made, 410 once it expired (the pages'
    download answers the same way)."""
    if query.is_expired(job):
        abort(410, message=_("导出文件已过期并已删除，请重新导出"))
    path = query.stored_file(job)
    if path is None:
        abort(409, message=_("导出文件还没有生成（状态：%(status)s）", status=job.status))
    export_format = available_formats().get(job.format)
    response = send_file(path, mimetype=export_format.mimetype if export_format else FALLBACK_MIMETYPE,
                         as_attachment=True, download_name=job.file_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # customers' data: no shared or disk cache keeps it
    return response


@blp.route("")
class Exports(MethodView):
    @require(PERMISSION)
    @blp.response(200, ExportJobSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The caller's own exports, newest first."""
        return page_of(query.own_jobs(current_user), pagination_parameters)

    @require(PERMISSION)
    @blp.arguments(ExportRequestSchema)
    @blp.response(201, ExportJobSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data):
        """Export the customers a filter finds, as the customer list shows them to the caller.

        Up to `KEHU_EXPORT_INLINE_ROWS` customers (5,000) the file is made at once and the job answers
        `done` with its `download_url`; larger exports answer `queued` and run in the background: poll
        `GET /exports/{job_id}` for `rows_done` of `rows_total`. Three exports of a user may be under way
        at once (429 beyond). Phones are masked without `customer.pii`; every export is audited.
        """
        try:
            return service.start_export(data["filter"], data["format"], current_user)
        except service.ExportInvalid as exc:
            abort(422, messages={"json": exc.errors})  # the detail: the stock one, in the user's language
        except service.ExportRefused as exc:
            abort(429, message=str(exc))


@blp.route("/formats")
class ExportFormats(MethodView):
    @require(PERMISSION)
    @blp.response(200, ExportFormatSchema(many=True))
    def get(self):
        """The formats on offer: xlsx, csv and those enabled plugins add."""
        return [{"name": f.name, "title": str(f.title), "extension": f.extension, "mimetype": f.mimetype}
                for f in available_formats().values()]


@blp.route("/<id:job_id>")
class ExportById(MethodView):
    @require(PERMISSION)
    @blp.response(200, ExportJobSchema)
    def get(self, job_id):
        """An export's status and progress."""
        return job_or_404(job_id)


@blp.route("/<id:job_id>/file")
class ExportFile(MethodView):
    @require(PERMISSION)
    @blp.doc(responses={"200": {"description": "the file, as an attachment (a plugin format: its own media type)",
                                "content": {XLSX_MIMETYPE: _BINARY, CSV_MIMETYPE: _BINARY, FALLBACK_MIMETYPE: _BINARY}}})
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(410, response="GONE")
    def get(self, job_id):
        """Download the file while it is there: 409 while it is being made (or failed), 410 once it expired."""
        return download(job_or_404(job_id))
