"""Fixtures for graph tests: one ROS domain per session, node processes, and the test's probe node.

Starting a node process costs seconds (rclpy, onnxruntime, the model), so nodes are started once
per module and shared by its tests; each test uses fresh, increasing stamps and only looks at
outputs carrying its own stamps.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # ros_probe: --import-mode=importlib adds no paths

from depth_restore_ros.graph import Graph  # noqa: E402


@pytest.fixture(scope="session")
def ros_graph(tmp_path_factory):
    """Node processes on a ROS_DOMAIN_ID no other test session or demo on this machine uses."""
    graph = Graph(tmp_path_factory.mktemp("ros_graph"))
    saved = {k: os.environ.get(k) for k in graph.ros_env()}
    os.environ.update(graph.ros_env())  # the probe's rclpy reads the discovery range from here
    try:
        yield graph
    finally:
        graph.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def probe(ros_graph):
    pytest.importorskip("rclpy")
    pytest.importorskip("depth_restore_ros_msgs.msg")  # built by colcon (tools/setup_env.sh)
    from ros_probe import Probe
    p = Probe(ros_graph.domain_id)
    try:
        yield p
    finally:
        p.close()

