"""Packaging of depth_restore_ros (the Python library, its ROS 2 nodes and the `depth-restore` CLI).

Two ways in:
- pip (what tools/setup_env.sh does): `pip install -e .` puts the console scripts in .venv/bin.
- colcon / ament_python on a ROS machine: `ros2 run depth_restore_ros mono_depth_node` looks for
  executables in lib/depth_restore_ros, which ament_python packages get from a setup.cfg
  (`[develop] script_dir` / `[install] install_scripts`). We deliberately ship no setup.cfg: it
  would move the console scripts out of .venv/bin for pip installs. colcon users copy it in first:
      cp tools/ament_setup.cfg setup.cfg
      colcon build --base-paths src src/depth_restore_ros/msg --packages-up-to depth_restore_ros
  (colcon's crawler stops at the first package.xml, so msg/, the depth_restore_ros_msgs
  interface package, is named as a base path of its own.)
"""
import re
from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "depth_restore_ros"
HERE = Path(__file__).resolve().parent


def read_version():
    # Read __version__ without importing the package (importing must not need its dependencies).
    text = (HERE / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    return match.group(1) if match else "0.0.0"


def files(pattern):
    # data_files want paths relative to setup.py; sorted so builds are reproducible.
    return sorted(p for p in glob(pattern, root_dir=HERE) if (HERE / p).is_file())


setup(
    name=PACKAGE,
    version=read_version(),
    description="Metric depth and uncertainty from camera images, as a ROS 2 package and a library",
    license="Apache-2.0",
    maintainer="depth_restore_ros maintainers",
    maintainer_email="maintainers@depth-restore-ros.org",
    python_requires=">=3.10",
    packages=find_packages(exclude=["test", "test.*", "tests", "tests.*"]),
    package_data={
        PACKAGE: [
            # shipped models: model.onnx, model.pt, config.json, card.json per model folder
            "weights/**/*.onnx",
            "weights/**/*.pt",
            "weights/**/*.json",
            # small data: synthetic-world assets, dataset split lists
            "data/**/*.txt",
            "data/**/*.json",
            "data/**/*.png",
        ],
    },
    include_package_data=False,
    data_files=[
        # The ament index marker makes `ros2 pkg list` / ament_index_python find the package.
        ("share/ament_index/resource_index/packages", ["resource/" + PACKAGE]),
        ("share/" + PACKAGE, ["package.xml"]),
        ("share/" + PACKAGE + "/launch", files("launch/*.launch.py")),
        ("share/" + PACKAGE + "/config", files("config/*.yaml")),
        ("share/" + PACKAGE + "/config/train", files("config/train/*.yaml")),
    ],
    # Runtime Python dependencies are pinned in requirements.txt (installed by tools/setup_env.sh);
    # rclpy and the message packages come from ROS (apt on a robot, wheels here), so they are not
    # listed here, where pip would try to resolve them on a ROS machine.
    install_requires=["numpy", "pyyaml"],
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "mono_depth_node = depth_restore_ros.ros.mono_node:main",
            "stereo_depth_node = depth_restore_ros.ros.stereo_node:main",
            "camera_source_node = depth_restore_ros.ros.camera_source:main",
            "depth_recorder_node = depth_restore_ros.ros.recorder:main",
            "depth-restore = depth_restore_ros.cli:main",
        ],
    },
)
