"""Per-user limits on the endpoints that search and list (Flask-Limiter).

A search is an oracle: whatever it can match, a script can enumerate. The criteria decide what a user
may match (a role without ``customer.pii`` cannot search by phone, kehu.customers.query); this caps
how fast anyone asks. The key is the signed-in user (a Bearer token's user included), else the client
address. Counters live in ``KEHU_RATELIMIT_STORAGE_URI``: memory for one process (the embedded
default), Redis when several web processes serve one site.
"""
from flask import request
from flask_login import current_user

# endpoint names of core's search and list views; plugins' lists are theirs to limit
SEARCH_ENDPOINTS = ("customers.Customers", "customer_pages.customer_list", "interactions.Interactions",
                    "interaction_pages.follow_ups")


def user_or_address() -> str:
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{request.remote_addr}"


def limit_searches(app, limiter, endpoints=SEARCH_ENDPOINTS) -> None:
    """Wrap this app's search views (GET only) in one shared per-user limit of ``limiter`` (Flask-Limiter).

    Done here, per app, rather than with decorators on the views: the limiter is one object for every
    app in the process, and an app with limits switched off (tests, a CLI run) must not get them.
    """
    if not app.config["RATELIMIT_ENABLED"]:
        return
    shared = limiter.shared_limit(app.config["KEHU_SEARCH_RATE_LIMIT"], scope="search", key_func=user_or_address,
                                  methods=["GET"])
    for endpoint in endpoints:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
