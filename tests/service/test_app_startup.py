"""What the app does once at start, for every request after."""

from __future__ import annotations

import gc

from geo import gazetteer
from service.app import warm_then_freeze


def test_the_gazetteer_is_loaded_then_left_out_of_full_collections():
    # About a million objects per worker: a full collection walking them stalled every request of
    # the worker for ~260 ms. Frozen, they are in no generation a collection walks.
    try:
        warm_then_freeze()
        assert gc.isenabled()
        place = gazetteer.place_named("Columbia", "MO")
        assert place is not None and gc.is_tracked(place)
        assert gc.get_freeze_count() > 500_000
        assert not any(o is place for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
    assert any(o is place for o in gc.get_objects(generation=2))  # what the test would see unfrozen
