"""A node process's main(): init rclpy, spin one node, shut down cleanly, return an exit code."""
import sys
from typing import Callable, Optional

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor


def spin_node(make_node: Callable, name: str, args=None,
              cleanup: Optional[Callable] = None) -> int:
    """Ctrl-C and an external shutdown end it normally (0); an exception while building or
    running the node (e.g. a parameter override out of range) is said in one line (1).
    `cleanup(node)` releases the node (default: destroy_node)."""
    rclpy.init(args=args)
    node, code = None, 0
    try:
        node = make_node()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception as exc:  # noqa: BLE001 -- the process ends; say why instead of a traceback
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    finally:
        if node is not None:
            (cleanup or type(node).destroy_node)(node)
        rclpy.try_shutdown()
    return code
