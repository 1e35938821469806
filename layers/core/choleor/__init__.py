"""Choleor: new choreography to music from a library of real dance moves.

The domain core. Faces (Chalice API, Lambda handlers, Greengrass edge, CLI)
only translate to and from the functions in this package.
"""

__version__ = "0.1.0"
