"""The web UI blueprint; the view modules beside this file add their routes to it."""
from flask import Blueprint

web = Blueprint("web", __name__)
