"""`depth-restore demo`: camera source -> mono depth node -> recorder, as three processes over DDS.

The first thing a new user runs: it shows the whole package working on this machine (the shipped
model, the node graph, the topics) without a camera, a bag file or `ros2 launch`, ends by itself,
and leaves a bag, pictures and numbers behind. It reads its own bag back, so "it ran" also means
"it recorded what it should".
"""
import json
import shutil
import time
from pathlib import Path

from ..graph import Graph, GraphError, NodeSpec, share_file

OUTPUT_TOPICS = ["depth/image", "depth/uncertainty", "depth/camera_info", "points", "depth/estimate"]
PER_FRAME_TOPICS = ["depth/image", "depth/uncertainty", "depth/camera_info", "points"]
MODULES = {"camera": "depth_restore_ros.ros.camera_source", "mono": "depth_restore_ros.ros.mono_node",
           "recorder": "depth_restore_ros.ros.recorder"}


def add_arguments(parser):
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--model", default=None, help="model for the node (default: the shipped default)")
    parser.add_argument("--frames", type=int, default=80, help="frames the camera sends (default: 80)")
    parser.add_argument("--rate", type=float, default=8.0, help="camera rate in Hz (default: 8)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--transport", default="raw", choices=["raw", "compressed"],
                        help="camera images as raw Image or JPEG CompressedImage (image/compressed)")
    parser.add_argument("--png-every", type=int, default=8, help="a PNG every N frames (default: 8)")
    parser.add_argument("--namespace", default="demo", help="ROS namespace of the graph")
    parser.add_argument("--params-file", default=None, help="mono node parameters (default: config/mono.yaml)")
    parser.add_argument("--timeout", type=float, default=55.0, help="give up after this many seconds")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    parser.add_argument("--verbose", action="store_true", help="echo the nodes' logs")


def _clean(out: Path):
    """Remove what an earlier demo left in `out` (only our own files: --out may be any folder)."""
    for name in ("bag", "png", "logs"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("frames.jsonl", "summary.json"):
        (out / name).unlink(missing_ok=True)


RECORDER_CLOSE_S = 30.0  # SIGINT to SIGTERM: a bag of full-size clouds can take a while to close


def start_graph(graph: Graph, args, out: Path):
    """Recorder and mono node first; the camera only once the recorder hears every node output."""
    from ..inference.registry import DEFAULT_MODEL
    ns = args.namespace.strip("/")
    params_file = Path(args.params_file) if args.params_file else share_file("config/mono.yaml")
    image = "image/compressed" if args.transport == "compressed" else "image"
    rec = graph.start(NodeSpec("recorder", MODULES["recorder"], ns, params={
        "output_dir": str(out), "overwrite": True, "png_every_n": args.png_every,
        "topics": [image, "camera_info"] + OUTPUT_TOPICS}))
    graph.start(NodeSpec("mono", MODULES["mono"], ns, params_file=params_file,
                         params={"model": args.model or DEFAULT_MODEL, "transport": args.transport}))
    for topic in OUTPUT_TOPICS:  # the node is configured: its publishers exist and are matched
        rec.wait_for_line(f"matched publisher on /{ns}/{topic}$", timeout=max(5.0, args.timeout - 15))
    # wait_for_subscribers=2: the node and the recorder, so that no frame is sent into the void.
    return graph.start(NodeSpec("camera", MODULES["camera"], ns, params={
        "width": args.width, "height": args.height, "num_frames": args.frames, "rate_hz": args.rate,
        "loop": False, "wait_for_subscribers": 2, "reliability": "reliable", "transport": args.transport}))


class FrameFeed:
    """Reads the recorder's frames.jsonl as it grows (one JSON object per depth frame)."""

    def __init__(self, path: Path):
        self.path, self.offset, self.records = path, 0, []

    def poll(self) -> list:
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as f:
            f.seek(self.offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind("\n") + 1]  # a half-written last line waits for next time
        self.offset += len(complete.encode("utf-8"))
        new = [json.loads(line) for line in complete.splitlines() if line.strip()]
        self.records += new
        return new


def follow(graph: Graph, camera, feed: FrameFeed, total: int, deadline: float, progress: bool) -> int:
    """Progress until every sent frame has its depth (or none came for 3 s); returns frames sent."""
    from tqdm import tqdm
    bar = tqdm(total=total, unit="frame", desc="depth frames", disable=not progress, dynamic_ncols=True)
    sent, last_new = None, time.monotonic()
    try:
        while time.monotonic() < deadline:
            new = feed.poll()
            if new:
                last_new = time.monotonic()
                recs = feed.records
                window = recs[-10:]
                span = (window[-1]["recv_ns"] - window[0]["recv_ns"]) * 1e-9
                hz = (len(window) - 1) / span if span > 0 else 0.0
                bar.set_postfix(latency=f"{new[-1]['latency_ms']:.0f} ms", rate=f"{hz:.1f} Hz", refresh=False)
                bar.update(len(new))
            if sent is None:
                done = camera.find_line(r"camera source done: published (\d+) frames")
                sent = int(done.group(1)) if done else None
            if sent is not None and (len(feed.records) >= sent or time.monotonic() - last_new > 3.0):
                return sent
            graph.check_alive()
            time.sleep(0.1)
    finally:
        bar.close()
    return sent if sent is not None else total


def verify_bag(bag_dir: Path, namespace: str, image_topic: str = "image") -> dict:
    """Read the bag back: messages per topic, and whether every processed frame has all outputs,
    each stamped like its input image."""
    from rosbags.rosbag2 import Reader

    from ..ros.recorder import make_typestore
    store = make_typestore()
    ns = "/" + namespace.strip("/")
    stamps, counts = {}, {}
    with Reader(bag_dir) as reader:
        for conn in reader.connections:
            counts[conn.topic] = conn.msgcount
        for conn, _, raw in reader.messages():
            header = store.deserialize_cdr(raw, conn.msgtype).header
            stamps.setdefault(conn.topic, set()).add(header.stamp.sec * 10**9 + header.stamp.nanosec)
    problems = []
    sent = stamps.get(f"{ns}/{image_topic}", set())
    depth = stamps.get(f"{ns}/depth/image", set())
    if not depth:
        problems.append(f"no messages on {ns}/depth/image")
    for topic in PER_FRAME_TOPICS + ["depth/estimate"]:
        got = stamps.get(f"{ns}/{topic}", set())
        if got != depth:
            problems.append(f"{ns}/{topic}: {len(got)} stamps, not those of {ns}/depth/image ({len(depth)})")
    if not depth <= sent:
        problems.append(f"{len(depth - sent)} depth stamps match no input image")
    return {"counts": counts, "frames": len(depth), "ok": not problems, "problems": problems}


def summarize(feed: FrameFeed, sent: int, args, out: Path, wall_s: float, bag: dict) -> dict:
    lat = sorted(r["latency_ms"] for r in feed.records)
    recv = [r["recv_ns"] for r in feed.records]
    span = (recv[-1] - recv[0]) * 1e-9 if len(recv) > 1 else 0.0
    return {
        "frames_sent": sent,
        "frames_with_depth": len(feed.records),
        "latency_mean_ms": round(sum(lat) / len(lat), 2) if lat else None,
        "latency_p50_ms": round(lat[len(lat) // 2], 2) if lat else None,
        "latency_max_ms": round(lat[-1], 2) if lat else None,
        "achieved_hz": round((len(recv) - 1) / span, 2) if span > 0 else None,
        "requested_hz": args.rate,
        "resolution": [args.width, args.height],
        "wall_time_s": round(wall_s, 1),
        "bag": str(out / "bag"),
        "bag_counts": bag["counts"],
        "bag_mb": round(sum(f.stat().st_size for f in (out / "bag").glob("*")) / 2**20, 1),
        "bag_verified": bag["ok"],
        "bag_problems": bag["problems"],
        "png_files": len(list((out / "png").glob("*.png"))),
    }


def run(args) -> int:
    t0 = time.monotonic()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    feed = FrameFeed(out / "frames.jsonl")
    print(f"demo: {args.frames} frames {args.width}x{args.height} at {args.rate:g} Hz -> mono node -> "
          f"recorder, outputs in {out}")
    try:
        with Graph(out / "logs", echo=args.verbose) as graph:
            print("starting the nodes (the mono node loads its model) ...")
            camera = start_graph(graph, args, out)
            sent = follow(graph, camera, feed, args.frames, t0 + args.timeout, not args.no_progress)
            # the producers first, then the recorder on its own, with time to drain and close its bag
            graph.stop(["camera", "mono"])
            graph.stop(["recorder"], sigint_s=RECORDER_CLOSE_S)
    except GraphError as exc:  # a node died or never got ready: say which, and where its log is
        print(f"demo failed: {exc}\nlogs: {out / 'logs'}")
        return 1
    except KeyboardInterrupt:  # the nodes were stopped on the way out of the with-block
        print(f"demo interrupted; partial outputs in {out}")
        return 130
    feed.poll()  # the recorder flushes its last lines when it closes
    bag = verify_bag(out / "bag", args.namespace, "image/compressed" if args.transport == "compressed" else "image")
    summary = summarize(feed, sent, args, out, time.monotonic() - t0, bag)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"demo finished in {summary['wall_time_s']} s: {summary['frames_with_depth']}/{sent} frames "
          f"with depth, latency mean {summary['latency_mean_ms']} ms (max {summary['latency_max_ms']} ms), "
          f"{summary['achieved_hz']} Hz")
    print(f"  bag      {out / 'bag'}  ({'verified' if bag['ok'] else 'PROBLEMS: ' + '; '.join(bag['problems'])})")
    for topic, n in sorted(bag["counts"].items()):
        print(f"             {topic:32s} {n:5d} messages")
    print(f"  pictures {out / 'png'}  ({summary['png_files']} PNGs: input | depth | uncertainty)")
    print(f"  summary  {out / 'summary.json'}")
    print(f"  logs     {out / 'logs'}")
    print(f"  (the bag holds {summary['bag_mb']:.0f} MB: depth, uncertainty, DepthEstimate and a full "
          "XYZRGB cloud per frame; delete it when done)")
    return 0 if bag["ok"] and summary["frames_with_depth"] > 0 else 1
