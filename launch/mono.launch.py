"""Monocular depth node: `ros2 launch depth_restore_ros mono.launch.py image:=/camera/image_raw`.

The node's parameters come from one YAML file (default: the installed config/mono.yaml, which
documents every parameter); topics are remapped here rather than renamed in code, so one node
serves any camera. `depth-restore demo` and the graph tests start the same node with the same
YAML and remappings through depth_restore_ros.graph, where launch_ros is not installed.

    ros2 launch depth_restore_ros mono.launch.py namespace:=front \
        image:=/front/color/image_raw camera_info:=/front/color/camera_info
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    default_params = os.path.join(get_package_share_directory("depth_restore_ros"), "config", "mono.yaml")
    image = LaunchConfiguration("image")
    arguments = [
        DeclareLaunchArgument("namespace", default_value="",
                              description="namespace of the node and of its relative topics"),
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="YAML with the node's parameters (see config/mono.yaml)"),
        DeclareLaunchArgument("image", default_value="image",
                              description="input image topic (its /compressed sub-topic when the "
                                          "node's input_transport is compressed)"),
        DeclareLaunchArgument("camera_info", default_value="camera_info",
                              description="input camera_info topic (same stamps as image)"),
        DeclareLaunchArgument("log_level", default_value="info", description="debug, info, warn, error"),
    ]
    node = Node(
        package="depth_restore_ros",
        executable="mono_depth_node",
        name="mono_depth_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file")],
        remappings=[
            ("image", image),
            ("image/compressed", [image, "/compressed"]),
            ("camera_info", LaunchConfiguration("camera_info")),
        ],
        ros_arguments=["--log-level", LaunchConfiguration("log_level")],
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription(arguments + [node])
