"""Dance motion capture rendered into dance videos with music, for the default move library.

No package registry ships real dance footage, so Choleor renders real dance motion capture (CMU)
as a solid mannequin into ordinary videos that then go through the normal ingest.

The data used in this project was obtained from mocap.cs.cmu.edu.
The database was created with funding from NSF EIA-0196217.

Modules: `bvh` (parse, forward kinematics), `skeleton` (common body points, units),
`camera` (placement, projection), `mannequin` (drawing), `music` (movement tempo, soundtrack),
`render_take` (one take to an mp4 plus the true 2D keypoints).
"""
