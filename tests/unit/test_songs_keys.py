"""Which song an uploaded file belongs to, as the S3 event's key names it."""

import sys

from choleor import songs
from tests.paths import ROOT


def test_a_songs_upload_key_names_its_song():
    assert songs.song_of_upload("uploads/songs/abc123/original.mp3") == "abc123"
    assert songs.song_of_upload(songs.SONGS.upload_key("abc123", "My Song.FLAC")) == "abc123"


def test_other_keys_name_no_song():
    for key in (
        "uploads/sources/src1/original.mp4",
        "songs/abc123/analysis.json",
        "uploads/songs/abc123/extra/original.mp3",
        "uploads/songs//original.mp3",
        "uploads/songs/abc123/cover.jpg",
    ):
        assert songs.song_of_upload(key) is None, key


def test_the_s3_event_of_an_unknown_song_starts_nothing(memory_aws):
    sys.path.insert(0, str(ROOT / "functions" / "analyze_song"))
    try:
        import app
    finally:
        sys.path.pop(0)
        sys.modules.pop("app", None)
    event = {
        "Records": [
            {"s3": {"object": {"key": "uploads/songs/nosuchsong/original.mp3"}}},
            {"s3": {"object": {"key": "uploads/sources/src1/original.mp4"}}},
        ]
    }
    assert app.handler(event, None) == {"started": []}
