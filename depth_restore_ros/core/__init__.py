"""ROS-free core: image encodings, camera geometry, point clouds, colour maps, stamp matching.

Imports nothing heavy (numpy only, cv2 lazily inside the functions that need it), so the ROS
nodes, the CLI and the tests can all use it; import the submodules directly.
"""
from .errors import InputError

__all__ = ["InputError"]
