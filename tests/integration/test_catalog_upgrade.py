"""A library snapshot written by an earlier release is rebuilt on load, with nothing re-ingested."""

import io

import numpy as np


def test_an_old_format_snapshot_is_rebuilt_from_the_stored_features(library):
    from choleor.library import catalog
    from choleor.recommend import index as rindex
    from choleor.storage import objects

    before = catalog.load_index()
    pointer = catalog.current_pointer()
    with np.load(io.BytesIO(objects.get_bytes(pointer["key"]))) as z:
        old = {k: z[k] for k in z.files if k != "beat_align"}  # format 1 had no beat alignment
    old["format"] = np.asarray("choleor-recommend-index/1")
    buf = io.BytesIO()
    np.savez_compressed(buf, **old)
    objects.put_bytes(pointer["key"], buf.getvalue())
    catalog._cache.clear()  # a fresh process

    after = catalog.load_index()
    assert catalog.current_pointer()["version"] != pointer["version"]
    assert sorted(after.ids.tolist()) == sorted(before.ids.tolist())
    assert np.allclose(np.sort(after.beat_align), np.sort(before.beat_align))
    assert rindex.load(objects.get_bytes(catalog.current_pointer()["key"])).version == after.version
