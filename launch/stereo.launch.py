"""Stereo depth node: `ros2 launch depth_restore_ros stereo.launch.py left_image:=... right_image:=...`.

Takes a rectified pair (stereo_image_proc's or a stereo driver's image_rect with their camera_info).
The node's parameters come from one YAML file (default: the installed config/stereo.yaml, which
documents every parameter); the four input topics are remapped here, so one node serves any rig.

    ros2 launch depth_restore_ros stereo.launch.py namespace:=front \
        left_image:=/front/left/image_rect left_camera_info:=/front/left/camera_info \
        right_image:=/front/right/image_rect right_camera_info:=/front/right/camera_info
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    default_params = os.path.join(get_package_share_directory("depth_restore_ros"), "config", "stereo.yaml")
    arguments = [
        DeclareLaunchArgument("namespace", default_value="",
                              description="namespace of the node and of its relative topics"),
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="YAML with the node's parameters (see config/stereo.yaml)"),
        DeclareLaunchArgument("left_image", default_value="left/image_rect",
                              description="rectified left image (the outputs carry its frame and stamp)"),
        DeclareLaunchArgument("left_camera_info", default_value="left/camera_info",
                              description="camera_info of the left image (intrinsics from its P)"),
        DeclareLaunchArgument("right_image", default_value="right/image_rect",
                              description="rectified right image: same size and stamps as the left"),
        DeclareLaunchArgument("right_camera_info", default_value="right/camera_info",
                              description="camera_info of the right image (P's Tx = -fx * baseline)"),
        DeclareLaunchArgument("log_level", default_value="info", description="debug, info, warn, error"),
    ]
    node = Node(
        package="depth_restore_ros",
        executable="stereo_depth_node",
        name="stereo_depth_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file")],
        remappings=[
            ("left/image_rect", LaunchConfiguration("left_image")),
            ("left/camera_info", LaunchConfiguration("left_camera_info")),
            ("right/image_rect", LaunchConfiguration("right_image")),
            ("right/camera_info", LaunchConfiguration("right_camera_info")),
        ],
        ros_arguments=["--log-level", LaunchConfiguration("log_level")],
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription(arguments + [node])
