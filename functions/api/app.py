"""HTTP API: a Chalice app. Routes only translate between HTTP and `choleor.usecases`.

On AWS this `app` object is the Lambda handler behind API Gateway; locally
`choleor serve` runs it through Chalice's local server. Every route lives
under /api/ so the front end and the API share one origin.
"""

import functools

from chalice import Chalice, Response

from choleor import usecases
from choleor.errors import ChoreError

app = Chalice(app_name="choleor")
app.api.cors = False  # same origin locally; on AWS the HTTP API's CORS settings apply


def route(path: str, **kwargs):
    """`app.route`, with a ChoreError turned into its HTTP status and a readable message.

    (Chalice catches view exceptions before any middleware sees them.)
    """
    def wrap(fn):
        @functools.wraps(fn)
        def view(*args, **kw):
            try:
                return fn(*args, **kw)
            except ChoreError as exc:
                return Response(body={"error": exc.message}, status_code=exc.status)
        return app.route(path, **kwargs)(view)
    return wrap


@route("/api/health")
def health():
    state = usecases.health()
    return Response(body=state, status_code=200 if state["ok"] else 503)
