"""Keep a depth node's per-frame buffers in the heap instead of fresh memory maps.

glibc serves blocks of 128 KB and more with mmap and hands them back to the kernel on free, so a
node that builds ~10 MB of messages per 640x480 frame (depth, uncertainty, a full XYZRGB cloud, the
serialised copies) page-faults all of it in again every frame. Measured on the 2-core development
machine with the node benchmark: the cloud step took 9.5 ms instead of 1.9 ms and message building
3.7 ms instead of 1.3 ms, with the CPUs mostly in the kernel. Raising the mmap and trim thresholds
(the MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ knobs, set from inside the process) lets
freed frames be reused; the cost is that the process keeps its peak heap instead of returning it.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20    # glibc's upper limit on 64-bit systems
TRIM_THRESHOLD = 128 << 20


def keep_frames_in_heap() -> bool:
    """True when glibc took the settings (False elsewhere, e.g. musl or macOS: nothing changes)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
