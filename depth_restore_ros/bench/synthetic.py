"""Synthetic-world throughput: images per second of the generator on one core.

Rendering runs in this process with every thread pool pinned to one thread, so the figure is per
core (a training run's pre-render uses a pool of such workers). The same run times reading a frame
back from the training cache (compressed npz), the baseline that says what the cache saves.
"""
import os
import tempfile
import time
from pathlib import Path


def _one_core():
    import cv2
    cv2.setNumThreads(1)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:  # numpy's BLAS is barely used by the renderer; cv2 is the one that matters
        pass


def bench_synthetic(sizes=((256, 320), (1080, 1920)), frames: int = 8, seed: int = 0,
                    stereo: bool = False) -> dict:
    """{"WxH": {images_per_s, ms_per_image, cache_read_ms, render_vs_cache}} for each (h, w)."""
    import numpy as np

    from ..data.synthetic import SyntheticDataset, render_scene

    _one_core()
    render_scene(seed, 64, 48)  # builds the texture bank once, as every worker does at start
    result = {"frames": frames, "threads": 1, "stereo": stereo, "cpu_count": os.cpu_count(), "sizes": {}}
    for height, width in sizes:
        t0 = time.perf_counter()
        for i in range(frames):
            render_scene(seed + i, width, height, stereo=stereo)
        render_s = (time.perf_counter() - t0) / frames
        with tempfile.TemporaryDirectory() as cache:
            data = SyntheticDataset("val", size=(height, width), length=frames, stereo=stereo, cache_dir=cache)
            for i in range(frames):
                data[i]                             # render and store
            t0 = time.perf_counter()
            for i in range(frames):
                np.asarray(data[i].rgb)             # read back
            read_s = (time.perf_counter() - t0) / frames
            cached_mb = sum(p.stat().st_size for p in Path(cache).rglob("*.npz")) / frames / 2**20
        result["sizes"][f"{width}x{height}"] = {
            "images_per_s": round(1.0 / render_s, 3), "ms_per_image": round(render_s * 1e3, 1),
            "cache_read_ms": round(read_s * 1e3, 2), "render_vs_cache": round(render_s / read_s, 1),
            "cache_mb_per_frame": round(cached_mb, 2)}
    return result
