"""depth_restore_ros: metric depth, uncertainty and point clouds from camera streams.

The library imports neither rclpy nor torch; `Estimator` loads lazily so `import depth_restore_ros`
stays cheap on small robots.
"""
__version__ = "0.1.0"
__all__ = ["Estimator", "Prediction", "ModelConfig"]


def __getattr__(name):
    if name in __all__:
        from . import inference
        return getattr(inference, name)
    raise AttributeError(f"module 'depth_restore_ros' has no attribute {name!r}")
