"""QoS profiles chosen by parameter name, so a deployment can match its camera driver without code.

Inputs default to sensor_data (best effort, keep last few): a best-effort subscription matches
both reliable and best-effort camera publishers, and a late frame is worth less than the next
one. Outputs default to reliable: RViz, rosbag and depth_image_proc subscribe reliably by default,
and a reliable subscription does not match a best-effort publisher.
"""
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

INPUT_CHOICES = ("sensor_data", "reliable", "best_effort")
OUTPUT_CHOICES = ("reliable", "best_effort", "sensor_data")
DEFAULT_INPUT = "sensor_data"
DEFAULT_OUTPUT = "reliable"
DEFAULT_DEPTH = 5


def profile(kind: str, depth: int = DEFAULT_DEPTH) -> QoSProfile:
    """A keep-last, volatile profile named `kind` with history `depth`.

    sensor_data and best_effort are the same on the wire here (best effort, volatile); both names
    are accepted because ROS users know the first from rclpy and the second from the policy.
    """
    if kind not in INPUT_CHOICES:
        raise ValueError(f"unknown QoS '{kind}': use one of {', '.join(INPUT_CHOICES)}")
    depth = int(depth)
    if depth < 1:
        raise ValueError(f"QoS depth must be >= 1, got {depth}")
    reliability = ReliabilityPolicy.RELIABLE if kind == "reliable" else ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=reliability,
                      durability=DurabilityPolicy.VOLATILE)


def describe(qos: QoSProfile) -> str:
    """Short text for start-up logs ("best_effort, keep_last 5"): QoS mismatches are a classic
    reason for "the node receives nothing", so the node says what it uses."""
    rel = "reliable" if qos.reliability == ReliabilityPolicy.RELIABLE else "best_effort"
    return f"{rel}, keep_last {qos.depth}"
