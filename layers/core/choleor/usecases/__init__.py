"""The use cases: what a person, the library admin or whoever runs Choleor can do.

Every face (the HTTP API, the Lambda handlers, the command line, the edge
handler) calls these and only translates arguments and results; a face takes
nothing else from the core but `choleor.errors`. The use cases know nothing of
HTTP, Lambda events or MQTT. `tests/unit/test_layers.py` checks that imports
point one way: faces -> use cases -> domain modules -> storage.

    songs           upload a song, analyse it, its segments; analyse a song file
    library         add dance videos, read sources and moves, seed the default library
    choreographies  a person's dance: candidates, picks (which queue the video's pieces), the video
    compose         choreography for a song file from the command line, and its evaluation
    jobs            read, run and sweep up jobs
    system          health, storage for a command, job workers, what `serve` runs
    edge            the device process, sending it work, the cloud sync

Domain modules that load the numpy stack (ranking, analysis, pose, rendering)
are imported inside the use case that needs them: the API's function imports
this layer and must start without numpy (`test_layers` checks this too).
"""
