"""Benchmarks behind `depth-restore bench`: model-only timing (model.py, ROS-free) and the node
measured from outside its process (node.py, uses rclpy for its probe)."""
