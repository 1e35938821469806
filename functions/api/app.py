"""HTTP API: a Chalice app. Routes only translate between HTTP and `choleor.usecases`.

On AWS this `app` object is the Lambda handler behind API Gateway; locally
`choleor serve` runs it through Chalice's local server. Every route lives
under /api/ so the front end and the API share one origin.
"""

import functools

from chalice import Chalice, Response

from choleor import usecases
from choleor.errors import BadInput, ChoreError

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


def body() -> dict:
    """The JSON object the client sent (an empty body is an empty object)."""
    raw = app.current_request.raw_body
    if not raw:
        return {}
    try:
        data = app.current_request.json_body
    except Exception:
        raise BadInput("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object")
    return data


def query_float(name: str) -> float | None:
    value = (app.current_request.query_params or {}).get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise BadInput(f"{name} must be a number of seconds, not {value!r}") from None


# --- songs -------------------------------------------------------------------


@route("/api/songs", methods=["POST"])
def create_song():
    data = body()
    size = data.get("size")
    if size is not None and not isinstance(size, int):
        raise BadInput("size must be a whole number of bytes")
    out = usecases.create_song(str(data.get("filename") or ""), size=size, title=data.get("title"))
    return Response(body=out, status_code=201)


@route("/api/songs", methods=["GET"])
def list_songs():
    return {"songs": usecases.list_songs()}


@route("/api/songs/{song_id}", methods=["GET"])
def get_song(song_id):
    return usecases.song(song_id)


@route("/api/songs/{song_id}/analyze", methods=["POST"])
def analyze_song(song_id):
    return Response(body={"job": usecases.analyze_song(song_id)}, status_code=202)


@route("/api/songs/{song_id}/audio", methods=["GET"])
def song_audio(song_id):
    return usecases.song_audio(song_id)


@route("/api/songs/{song_id}/segments", methods=["GET"])
def song_segments(song_id):
    return {"segments": usecases.song_segments(song_id, query_float("start"), query_float("end"))}


# --- dance library -------------------------------------------------------------


def admin_key_header() -> str | None:
    return app.current_request.headers.get("x-admin-key")


@route("/api/sources", methods=["POST"])
def create_source():
    data = body()
    size = data.get("size")
    if size is not None and not isinstance(size, int):
        raise BadInput("size must be a whole number of bytes")
    out = usecases.create_source(
        str(data.get("filename") or ""),
        admin_key_header(),
        size=size,
        style=data.get("style"),
        title=data.get("title"),
    )
    return Response(body=out, status_code=201)


@route("/api/sources", methods=["GET"])
def list_sources():
    return {"sources": usecases.list_sources()}


@route("/api/sources/{source_id}", methods=["GET"])
def get_source(source_id):
    return usecases.source(source_id)


@route("/api/sources/{source_id}/ingest", methods=["POST"])
def ingest_source(source_id):
    return Response(body={"job": usecases.ingest_source(source_id, admin_key_header())}, status_code=202)


@route("/api/moves", methods=["GET"])
def list_moves():
    source = (app.current_request.query_params or {}).get("source")
    return {"moves": usecases.list_moves(source)}


@route("/api/moves/{move_id}", methods=["GET"])
def get_move(move_id):
    return usecases.move(move_id)


@route("/api/library", methods=["GET"])
def library_stats():
    return usecases.library_stats()


# --- choreographies --------------------------------------------------------------


def token() -> str | None:
    req = app.current_request
    return req.headers.get("x-choreo-token") or (req.query_params or {}).get("token")


@route("/api/choreographies", methods=["POST"])
def create_choreography():
    data = body()
    if not data.get("song_id"):
        raise BadInput("choose a song first (song_id is missing)")
    if data.get("start") is None or data.get("end") is None:
        raise BadInput("choose the part of the song to dance (start and end in seconds)")
    out = usecases.create_choreography(str(data["song_id"]), data["start"], data["end"])
    return Response(body=out, status_code=201)


@route("/api/choreographies/{choreo_id}", methods=["GET"])
def get_choreography(choreo_id):
    return usecases.choreography(choreo_id, token())


@route("/api/choreographies/{choreo_id}/segments/{k}/candidates", methods=["GET"])
def candidates(choreo_id, k):
    return usecases.candidates(choreo_id, token(), k)


@route("/api/choreographies/{choreo_id}/segments/{k}", methods=["PUT"])
def pick_move(choreo_id, k):
    move_id = body().get("move_id")
    if not move_id:
        raise BadInput("say which move to pick (move_id)")
    return usecases.pick_move(choreo_id, token(), k, str(move_id))


@route("/api/choreographies/{choreo_id}/segments/{k}", methods=["DELETE"])
def clear_pick(choreo_id, k):
    return usecases.pick_move(choreo_id, token(), k, None)


@route("/api/choreographies/{choreo_id}/auto", methods=["POST"])
def auto_fill(choreo_id):
    return usecases.auto_fill(choreo_id, token(), bool(body().get("keep_picks", True)))


@route("/api/choreographies/{choreo_id}/render", methods=["POST"])
def render(choreo_id):
    return Response(body={"job": usecases.render(choreo_id, token())}, status_code=202)


@route("/api/choreographies/{choreo_id}/video", methods=["GET"])
def video(choreo_id):
    return usecases.video(choreo_id, token())


# --- jobs --------------------------------------------------------------------


@route("/api/jobs/{job_id}", methods=["GET"])
def get_job(job_id):
    return usecases.job(job_id)
