"""HTTP API: a Chalice app. Routes only translate between HTTP and the use cases (`choleor.usecases`).

On AWS this `app` object is the Lambda handler behind API Gateway; locally
`choleor serve` runs it through Chalice's local gateway (the same event conversion)
under waitress. Every route lives under /api/ so the front end and the API share
one origin. Request bodies, queries and path parameters are checked against the
schemas in `choleor.usecases.inputs` before any use case runs.
"""

import functools

from chalice import Chalice, Response

from choleor.errors import ChoreError
from choleor.usecases import choreographies, inputs, jobs, library, songs, system

app = Chalice(app_name="choleor")
app.api.cors = False  # same origin locally; on AWS the HTTP API's CORS settings apply


#: On every answer (the pages' own headers come with the files that serve them).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def route(path: str, **kwargs):
    """`app.route`, with path parameters checked (`inputs.PATH`) and a ChoreError turned into its
    HTTP status and a readable message.

    (Chalice catches view exceptions before any middleware sees them.)
    """

    def wrap(fn):
        @functools.wraps(fn)
        def view(**params):
            try:
                out = fn(**inputs.path_params(params))
            except ChoreError as exc:
                out = Response(body={**exc.detail, "error": exc.message}, status_code=exc.status)
            if not isinstance(out, Response):
                out = Response(body=out, status_code=200)
            out.headers = {**SECURITY_HEADERS, **(out.headers or {})}
            return out

        return app.route(path, **kwargs)(view)

    return wrap


@route("/api/health")
def health():
    state = system.health()
    return Response(body=state, status_code=200 if state["ok"] else 503)


def body(schema: dict) -> dict:
    """The JSON object the client sent, checked against the route's schema."""
    return inputs.parse(schema, inputs.json_object(app.current_request.raw_body))


def query(name: str) -> str | None:
    return (app.current_request.query_params or {}).get(name)


# --- songs -------------------------------------------------------------------


@route("/api/songs", methods=["POST"])
def create_song():
    data = body(inputs.SONG)
    out = songs.create(data["filename"], size=data["size"], title=data.get("title"))
    return Response(body=out, status_code=201)


@route("/api/songs", methods=["GET"])
def list_songs():
    return {"songs": songs.list_ready()}


@route("/api/songs/{song_id}", methods=["GET"])
def get_song(song_id):
    return songs.view(song_id)


@route("/api/songs/{song_id}", methods=["DELETE"])
def delete_song(song_id):
    return songs.delete(song_id, app.current_request.headers.get("x-song-token"))


@route("/api/songs/{song_id}/analyze", methods=["POST"])
def analyze_song(song_id):
    return Response(body={"job": songs.analyze(song_id)}, status_code=202)


@route("/api/songs/{song_id}/audio", methods=["GET"])
def song_audio(song_id):
    return songs.audio(song_id)


@route("/api/songs/{song_id}/segments", methods=["GET"])
def song_segments(song_id):
    start = inputs.query_number("start", query("start"))
    end = inputs.query_number("end", query("end"))
    return {"segments": songs.segments(song_id, start, end)}


# --- dance library -------------------------------------------------------------


def admin_key_header() -> str | None:
    return app.current_request.headers.get("x-admin-key")


@route("/api/sources", methods=["POST"])
def create_source():
    library.check_admin(admin_key_header())  # the key first: no one else learns what a body needs
    data = body(inputs.SOURCE)
    out = library.create_source(
        data["filename"],
        admin_key_header(),
        size=data["size"],
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
    source = query("source")
    if source is not None:
        source = inputs.check("source", inputs.PATH["source_id"], source)
    return {"moves": library.list_moves(source)}


@route("/api/moves/{move_id}", methods=["GET"])
def get_move(move_id):
    return library.move(move_id)


@route("/api/library", methods=["GET"])
def library_stats():
    return library.stats()


# --- choreographies --------------------------------------------------------------


def token() -> str | None:
    """The choreography's token: only from its header, never the URL (URLs end up in logs)."""
    return app.current_request.headers.get("x-choreo-token")


@route("/api/choreographies", methods=["POST"])
def create_choreography():
    data = body(inputs.CHOREOGRAPHY)
    out = choreographies.create(data["song_id"], data["start"], data["end"])
    return Response(body=out, status_code=201)


@route("/api/choreographies/{choreo_id}", methods=["GET"])
def get_choreography(choreo_id):
    return choreographies.view(choreo_id, token())


@route("/api/choreographies/{choreo_id}/segments/{k}/candidates", methods=["GET"])
def candidates(choreo_id, k):
    return choreographies.candidates(choreo_id, token(), k)


@route("/api/choreographies/{choreo_id}/segments/{k}", methods=["PUT"])
def pick_move(choreo_id, k):
    return choreographies.pick(choreo_id, token(), k, body(inputs.PICK)["move_id"])


@route("/api/choreographies/{choreo_id}/segments/{k}", methods=["DELETE"])
def clear_pick(choreo_id, k):
    return choreographies.clear(choreo_id, token(), k)


@route("/api/choreographies/{choreo_id}/auto", methods=["POST"])
def auto_fill(choreo_id):
    return choreographies.auto_fill(choreo_id, token(), body(inputs.AUTO).get("keep_picks", True))


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


@route("/api/choreographies/{choreo_id}/cut", methods=["PUT"])
def set_cut(choreo_id):
    return choreographies.set_cut(choreo_id, token(), body(inputs.CUT)["cut"])


@route("/api/choreographies/{choreo_id}/render", methods=["POST"])
def render(choreo_id):
    shape = body(inputs.RENDER).get("shape") or "16:9"
    return Response(body={"job": choreographies.render(choreo_id, token(), shape)}, status_code=202)


@route("/api/choreographies/{choreo_id}/video", methods=["GET"])
def video(choreo_id):
    shape = inputs.check("shape", inputs.RENDER["shape"], query("shape") or "16:9")
    return choreographies.video(choreo_id, token(), shape)


# --- jobs --------------------------------------------------------------------


@route("/api/jobs/{job_id}", methods=["GET"])
def get_job(job_id):
    return jobs.job(job_id)


# --- Lambda entry ------------------------------------------------------------


def handler(event, context):
    """The functions' entry (template.yaml): API Gateway's request events go to Chalice; any other
    event gets a 400 saying what was expected (Chalice itself would answer a 500 or crash)."""
    context_ok = isinstance(event, dict) and isinstance(event.get("requestContext"), dict)
    if not context_ok or not event["requestContext"].get("resourcePath"):
        return {
            "statusCode": 400,
            "headers": {"Content-Type": "application/json", **SECURITY_HEADERS},
            "body": '{"error": "not an API Gateway request (payload format 1.0) for a route of this API"}',
        }
    return app(event, context)
