"""HTTP API: a Chalice app. Routes only translate between HTTP and the use cases (`choleor.usecases`).

On AWS this `app` object is the Lambda handler behind API Gateway; locally
`choleor serve` runs it through Chalice's local server. Every route lives
under /api/ so the front end and the API share one origin.
"""

import functools

from chalice import Chalice, Response

from choleor.errors import BadInput, ChoreError
from choleor.usecases import choreographies, jobs, library, songs, system

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
                return Response(body={**exc.detail, "error": exc.message}, status_code=exc.status)

        return app.route(path, **kwargs)(view)

    return wrap


@route("/api/health")
def health():
    state = system.health()
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
    out = songs.create(str(data.get("filename") or ""), size=data.get("size"), title=data.get("title"))
    return Response(body=out, status_code=201)


@route("/api/songs", methods=["GET"])
def list_songs():
    return {"songs": songs.list_ready()}


@route("/api/songs/{song_id}", methods=["GET"])
def get_song(song_id):
    return songs.view(song_id)


@route("/api/songs/{song_id}/analyze", methods=["POST"])
def analyze_song(song_id):
    return Response(body={"job": songs.analyze(song_id)}, status_code=202)


@route("/api/songs/{song_id}/audio", methods=["GET"])
def song_audio(song_id):
    return songs.audio(song_id)


@route("/api/songs/{song_id}/segments", methods=["GET"])
def song_segments(song_id):
    return {"segments": songs.segments(song_id, query_float("start"), query_float("end"))}


# --- dance library -------------------------------------------------------------


def admin_key_header() -> str | None:
    return app.current_request.headers.get("x-admin-key")


@route("/api/sources", methods=["POST"])
def create_source():
    data = body()
    out = library.create_source(
        str(data.get("filename") or ""),
        admin_key_header(),
        size=data.get("size"),
        style=data.get("style"),
        title=data.get("title"),
    )
    return Response(body=out, status_code=201)


@route("/api/sources", methods=["GET"])
def list_sources():
    return {"sources": library.list_sources()}


@route("/api/sources/{source_id}", methods=["GET"])
def get_source(source_id):
    return library.source(source_id)


@route("/api/sources/{source_id}/ingest", methods=["POST"])
def ingest_source(source_id):
    return Response(body={"job": library.ingest_source(source_id, admin_key_header())}, status_code=202)


@route("/api/moves", methods=["GET"])
def list_moves():
    source = (app.current_request.query_params or {}).get("source")
    return {"moves": library.list_moves(source)}


@route("/api/moves/{move_id}", methods=["GET"])
def get_move(move_id):
    return library.move(move_id)


@route("/api/library", methods=["GET"])
def library_stats():
    return library.stats()


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
    out = choreographies.create(str(data["song_id"]), data["start"], data["end"])
    return Response(body=out, status_code=201)


@route("/api/choreographies/{choreo_id}", methods=["GET"])
def get_choreography(choreo_id):
    return choreographies.view(choreo_id, token())


@route("/api/choreographies/{choreo_id}/segments/{k}/candidates", methods=["GET"])
def candidates(choreo_id, k):
    return choreographies.candidates(choreo_id, token(), k)


@route("/api/choreographies/{choreo_id}/segments/{k}", methods=["PUT"])
def pick_move(choreo_id, k):
    move_id = body().get("move_id")
    if not move_id:
        raise BadInput("say which move to pick (move_id)")
    return choreographies.pick(choreo_id, token(), k, str(move_id))


@route("/api/choreographies/{choreo_id}/segments/{k}", methods=["DELETE"])
def clear_pick(choreo_id, k):
    return choreographies.clear(choreo_id, token(), k)


@route("/api/choreographies/{choreo_id}/auto", methods=["POST"])
def auto_fill(choreo_id):
    return choreographies.auto_fill(choreo_id, token(), bool(body().get("keep_picks", True)))


@route("/api/choreographies/{choreo_id}/cues", methods=["GET"])
def cue_sheet(choreo_id):
    return choreographies.cue_sheet(choreo_id, token())


@route("/api/choreographies/{choreo_id}/exports/{kind}", methods=["POST"])
def start_export(choreo_id, kind):
    return Response(body={"job": choreographies.export(choreo_id, token(), kind)}, status_code=202)


@route("/api/choreographies/{choreo_id}/exports/{kind}", methods=["GET"])
def get_export(choreo_id, kind):
    return choreographies.exported(choreo_id, token(), kind)


@route("/api/choreographies/{choreo_id}/share", methods=["POST"])
def share(choreo_id):
    return Response(body=choreographies.share(choreo_id, token()), status_code=201)


@route("/api/choreographies/{choreo_id}/share", methods=["DELETE"])
def unshare(choreo_id):
    return choreographies.unshare(choreo_id, token())


@route("/api/choreographies/{choreo_id}/render", methods=["POST"])
def render(choreo_id):
    shape = body().get("shape") or "16:9"
    return Response(body={"job": choreographies.render(choreo_id, token(), shape)}, status_code=202)


@route("/api/choreographies/{choreo_id}/video", methods=["GET"])
def video(choreo_id):
    shape = (app.current_request.query_params or {}).get("shape") or "16:9"
    return choreographies.video(choreo_id, token(), shape)


# --- jobs --------------------------------------------------------------------


@route("/api/jobs/{job_id}", methods=["GET"])
def get_job(job_id):
    return jobs.job(job_id)
