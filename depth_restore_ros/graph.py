"""Run a small ROS 2 node graph as separate processes, the way `ros2 launch` would, without launch_ros.

launch_ros is not installable everywhere (not from PyPI), but the demo, the benchmark and the
graph tests need the same thing it does: each node in its own process with its namespace,
parameter file, remappings and overrides, one shared ROS_DOMAIN_ID, logs kept per node, and every
process stopped for sure at the end. A node's command line is the one `ros2 launch`
builds from launch/mono.launch.py (with `python -m` for the console script):

    python -m <module> --ros-args -r __ns:=/<ns> --params-file <yaml> -r from:=to -p name:=value

This module does not import rclpy: readiness is read from the nodes' own log lines.
"""
import fcntl
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the folder holding depth_restore_ros/
LOCK_DIR = Path(os.environ.get("TMPDIR", "/tmp")) / "depth_restore_ros-domains"
MAX_DOMAIN_ID = 101  # ids above this can clash with ephemeral ports on Linux
# Fast DDS' default shared-memory segment (512 KB) is smaller than one 640x480 image: large
# samples then go through the segment in fragments, and measured here a best-effort subscriber
# lost 20-50 % of 0.9 MB images at 8 Hz with both processes idle, while reliable ones saw
# repair delays (~14 ms, seconds under load). One segment that holds a few frames' outputs
# (depth, uncertainty, estimate, a 5 MB cloud) makes both lossless at ~3 ms.
FASTDDS_PROFILE = """<?xml version="1.0" encoding="UTF-8" ?>
<profiles xmlns="http://www.eprosima.com">
  <transport_descriptors>
    <transport_descriptor>
      <transport_id>shm_large</transport_id>
      <type>SHM</type>
      <segment_size>{segment_bytes}</segment_size>
    </transport_descriptor>
    <transport_descriptor>
      <transport_id>udp</transport_id>
      <type>UDPv4</type>
    </transport_descriptor>
  </transport_descriptors>
  <participant profile_name="depth_restore_ros_large_data" is_default_profile="true">
    <rtps>
      <userTransports>
        <transport_id>shm_large</transport_id>
        <transport_id>udp</transport_id>
      </userTransports>
      <useBuiltinTransports>false</useBuiltinTransports>
    </rtps>
  </participant>
</profiles>
"""
PROFILE_VARS = ("FASTDDS_DEFAULT_PROFILES_FILE",)  # Fast DDS 3 (Kilted); 2.x read FASTRTPS_...


def share_file(relative: str) -> Path:
    """A data file of the package (e.g. "config/mono.yaml"): the source tree's copy when running
    from a checkout, else the installed one under <prefix>/share/depth_restore_ros/."""
    candidates = [PACKAGE_ROOT / relative, Path(sys.prefix) / "share" / "depth_restore_ros" / relative]
    try:
        from ament_index_python.packages import get_package_share_directory
        candidates.append(Path(get_package_share_directory("depth_restore_ros")) / relative)
    except Exception:  # no ament index (a plain venv): the first two places are all there is
        pass
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"{relative} not found in: " + ", ".join(map(str, candidates)))


class GraphError(RuntimeError):
    """A node died, or a readiness condition did not come in time (the message has the log tail)."""


@dataclass
class NodeSpec:
    """One node process; mirrors launch_ros' Node(namespace=, parameters=, remappings=)."""

    name: str                                   # label: log file <name>.log, key in Graph
    module: str                                 # run as `python -m module`
    namespace: str = ""
    params_file: Optional[Path] = None
    remaps: Dict[str, str] = field(default_factory=dict)
    params: Dict[str, object] = field(default_factory=dict)  # -p overrides, after the file

    def command(self) -> List[str]:
        cmd = [sys.executable, "-m", self.module, "--ros-args"]
        if self.namespace:
            cmd += ["-r", "__ns:=/" + self.namespace.strip("/")]
        if self.params_file:
            cmd += ["--params-file", str(self.params_file)]
        for src, dst in self.remaps.items():
            cmd += ["-r", f"{src}:={dst}"]
        for key, value in self.params.items():
            # YAML flow style is what rcl parses for -p values (true, 1.5, [1, 2], 'text').
            text = yaml.safe_dump(value, default_flow_style=True).strip()
            cmd += ["-p", f"{key}:={text.removesuffix('...').strip()}"]
        return cmd


class NodeProcess:
    """A started node: its Popen, a thread copying its output to a log file, and the lines seen."""

    def __init__(self, spec: NodeSpec, env: dict, log_path: Path, echo: bool):
        self.spec = spec
        self.log_path = log_path
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._echo = echo
        self.spawned_at = time.monotonic()  # before Popen: "time to first depth" starts here
        self.popen = subprocess.Popen(spec.command(), env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, errors="replace", bufsize=1)
        self._reader = threading.Thread(target=self._pump, name=f"log-{spec.name}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _pump(self):
        with open(self.log_path, "w", encoding="utf-8") as log:
            log.write("$ " + " ".join(self.spec.command()) + "\n")
            for line in self.popen.stdout:
                log.write(line)
                log.flush()
                if self._echo:
                    sys.stderr.write(f"[{self.spec.name}] {line}")
                with self._cond:
                    self.lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def tail(self, n: int = 25) -> str:
        with self._cond:
            return "\n".join(self.lines[-n:])

    def find_line(self, pattern: str):
        """The first log line so far matching `pattern`, or None (a non-blocking wait_for_line)."""
        regex = re.compile(pattern)
        with self._cond:
            return next((m for m in map(regex.search, self.lines) if m), None)

    def wait_for_line(self, pattern: str, timeout: float, start: int = 0) -> re.Match:
        """First log line (from line index `start`) matching `pattern`; GraphError on death/timeout."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                if self.popen.poll() is not None and not self._reader.is_alive():
                    raise GraphError(f"{self.spec.name} exited with code {self.popen.returncode} "
                                     f"before logging /{pattern}/; last lines:\n{self.tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GraphError(f"{self.spec.name} did not log /{pattern}/ within {timeout:.0f} s; "
                                     f"last lines of {self.log_path}:\n{self.tail()}")
                self._cond.wait(min(left, 0.2))

    def peak_rss_mb(self) -> Optional[float]:
        """VmHWM (peak resident memory) from /proc; None once the process is gone or off Linux."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.M)
        return int(match.group(1)) / 1024.0 if match else None

    def send_signal(self, sig) -> bool:
        """Send `sig` if still running; False when it has already exited."""
        if self.popen.poll() is not None:
            return False
        try:
            self.popen.send_signal(sig)
        except ProcessLookupError:
            return False
        return True


def _claim_domain_id(preferred: Optional[int]):
    """A ROS_DOMAIN_ID no other graph of ours holds, with a lock file held for the graph's life.

    Tests, the demo and the benchmark can run at the same time on one machine; sharing a domain
    would mix their topics.
    """
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    candidates = [preferred] if preferred is not None else random.sample(range(1, MAX_DOMAIN_ID + 1),
                                                                        MAX_DOMAIN_ID)
    for domain in candidates:
        handle = open(LOCK_DIR / f"{domain}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return domain, handle
        except OSError:
            handle.close()
    raise GraphError(f"no free ROS_DOMAIN_ID (locks in {LOCK_DIR})")


class Graph:
    """Processes started together and stopped together:

        with Graph(log_dir) as graph:
            graph.start(NodeSpec("mono", "depth_restore_ros.ros.mono_node", params_file=...))
            graph["mono"].wait_for_line("active", timeout=30)
    """

    def __init__(self, log_dir, domain_id: Optional[int] = None, localhost_only: bool = True,
                 echo: bool = False, shm_segment_mb: int = 64):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.domain_id, self._lock = _claim_domain_id(domain_id)
        self.echo = echo
        self.nodes: Dict[str, NodeProcess] = {}
        self.env = dict(os.environ)
        self.env.update({
            "ROS_DOMAIN_ID": str(self.domain_id),
            "ROS_LOG_DIR": str(self.log_dir / "ros"),
            "PYTHONUNBUFFERED": "1",
            "RCUTILS_LOGGING_BUFFERED_STREAM": "1",  # line-buffered: readiness lines arrive at once
            "RCUTILS_COLORIZED_OUTPUT": "0",
            "PYTHONPATH": os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH"))
                                          if p),
        })
        if localhost_only:  # keep the graph's traffic on this machine (Iron and newer)
            self.env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        fastdds = self.env.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp") == "rmw_fastrtps_cpp"
        if shm_segment_mb and fastdds and not any(self.env.get(v) for v in PROFILE_VARS):
            profile = self.log_dir / "fastdds_large_data.xml"  # a user's own profile wins
            profile.write_text(FASTDDS_PROFILE.format(segment_bytes=int(shm_segment_mb) << 20))
            self.env.update(dict.fromkeys(PROFILE_VARS, str(profile)))

    def ros_env(self) -> Dict[str, str]:
        """The ROS variables a probe in this process must set before rclpy.init to join the graph."""
        keys = ("ROS_DOMAIN_ID", "ROS_AUTOMATIC_DISCOVERY_RANGE") + PROFILE_VARS
        return {k: self.env[k] for k in keys if k in self.env}

    def start(self, spec: NodeSpec) -> NodeProcess:
        if spec.name in self.nodes:
            raise ValueError(f"a node labelled {spec.name!r} is already running")
        proc = NodeProcess(spec, self.env, self.log_dir / f"{spec.name}.log", self.echo)
        self.nodes[spec.name] = proc
        return proc

    def __getitem__(self, name: str) -> NodeProcess:
        return self.nodes[name]

    def check_alive(self) -> None:
        """Raise GraphError naming the first node that has exited (a crash mid-run)."""
        for proc in self.nodes.values():
            if proc.popen.poll() is not None:
                raise GraphError(f"{proc.spec.name} exited with code {proc.popen.returncode}; "
                                 f"last lines of {proc.log_path}:\n{proc.tail()}")

    def stop(self, names=None, sigint_s: float = 10.0, sigterm_s: float = 3.0) -> Dict[str, int]:
        """Stop the named nodes (all by default): SIGINT (rclpy shuts down cleanly, the recorder
        closes its bag), then SIGTERM, then SIGKILL, each round with a deadline for all of them."""
        procs = [p for n, p in self.nodes.items() if names is None or n in names]
        for sig, grace in ((signal.SIGINT, sigint_s), (signal.SIGTERM, sigterm_s), (signal.SIGKILL, 5.0)):
            if not [p.send_signal(sig) for p in procs if p.popen.poll() is None]:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(p.popen.poll() is None for p in procs):
                time.sleep(0.05)
        for proc in procs:
            proc._reader.join(2.0)
        return {p.spec.name: p.popen.poll() for p in procs}

    def close(self) -> None:
        try:
            self.stop()
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def __enter__(self) -> "Graph":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
