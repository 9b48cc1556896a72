"""Stamp matching of image / camera_info (/ second image) streams, and a latest-frame hand-off.

ROS-free replacements for message_filters' synchronisers, so that matching, dropping and resets
are unit-tested without a graph, and every discarded message is counted (diagnostics report it).
Stamps are integer nanoseconds (sec * 10**9 + nanosec): exact comparisons, no float rounding.
"""
import threading
from collections import deque
from typing import Optional


class StampSync:
    """Match `num_streams` streams by stamp; `add` returns the items (stream order) of a full set.

    exact: all stamps equal. approximate: the oldest complete set whose stamps span <= tolerance_ns.
    `latest_streams` (e.g. camera_info of drivers that do not stamp it with the image) take part
    with their latest item whatever its stamp. A set is returned as soon as it is complete.
    Counters: `dropped[i]` items of stream i discarded unmatched (older than a match, queue overflow,
    superseded by an item with the same stamp, cleared by a reset), `last_dropped[i]` the stamp of
    the latest of them (None before any), `matched`, `resets` (a stream's stamps went backwards:
    bag loop, simulator reset -> all queues are cleared).
    """

    def __init__(self, num_streams, approximate=False, tolerance_ns=0, queue_size=5, latest_streams=()):
        if num_streams < 1 or queue_size < 1 or tolerance_ns < 0:
            raise ValueError("num_streams and queue_size must be >= 1, tolerance_ns >= 0")
        if any(not 0 <= i < num_streams for i in latest_streams):
            raise ValueError(f"latest_streams {latest_streams} out of range for {num_streams} streams")
        self.num_streams = num_streams
        self.tolerance_ns = int(tolerance_ns) if approximate else 0
        self.queue_size = queue_size
        self.latest_streams = frozenset(latest_streams)
        self._synced = [i for i in range(num_streams) if i not in self.latest_streams]
        self._queues = [deque() for _ in range(num_streams)]  # (stamp, item), ascending stamps
        self._latest = {}
        self._last_stamp = [None] * num_streams
        self._last_matched = [None] * num_streams
        self._lock = threading.Lock()
        self.dropped = [0] * num_streams
        self.last_dropped = [None] * num_streams
        self.matched = 0
        self.resets = 0

    def add(self, stream_index, stamp_ns, item) -> Optional[tuple]:
        """Offer one message; returns the matched tuple if this completes a set, else None."""
        i, stamp = int(stream_index), int(stamp_ns)
        if not 0 <= i < self.num_streams:
            raise IndexError(f"stream {stream_index} out of range for {self.num_streams} streams")
        with self._lock:
            if i in self.latest_streams:
                self._latest[i] = item
                return self._match()
            if self._last_stamp[i] is not None and stamp < self._last_stamp[i]:
                self._reset()
            self._last_stamp[i] = stamp
            if self._last_matched[i] is not None and stamp <= self._last_matched[i]:
                self._drop(i, stamp)  # a duplicate of what was already matched
                return None
            q = self._queues[i]
            if q and q[-1][0] == stamp:
                self._drop(i, q.pop()[0])  # superseded: same stamp again
            q.append((stamp, item))
            if len(q) > self.queue_size:
                self._drop(i, q.popleft()[0])
            return self._match()

    def _drop(self, i, stamp):
        self.dropped[i] += 1
        self.last_dropped[i] = stamp

    @property
    def pending(self) -> list:
        """Items waiting in each stream's queue (0 for latest streams)."""
        with self._lock:
            return [len(q) for q in self._queues]

    def clear(self):
        """Forget everything queued (counted as drops), e.g. when the node is deactivated."""
        with self._lock:
            self._clear()

    def _clear(self):
        for i, q in enumerate(self._queues):
            if q:
                self.dropped[i] += len(q)
                self.last_dropped[i] = q[-1][0]
            q.clear()
        self._last_stamp = [None] * self.num_streams
        self._last_matched = [None] * self.num_streams

    def _reset(self):
        self.resets += 1
        self._clear()

    def _match(self) -> Optional[tuple]:
        if len(self._latest) < len(self.latest_streams):
            return None
        chosen = self._find_set()
        if chosen is None:
            return None
        items = [None] * self.num_streams
        for i, pos in chosen.items():
            q = self._queues[i]
            for _ in range(pos):  # older than the match: can never be matched any more
                self._drop(i, q.popleft()[0])
            self._last_matched[i], items[i] = q.popleft()
        for i in self.latest_streams:
            items[i] = self._latest[i]
        self.matched += 1
        return tuple(items)

    def _find_set(self) -> Optional[dict]:
        """{stream: queue position} of the oldest complete set, or None.

        The set's oldest stamp is one of the queued stamps; trying them in ascending order and
        taking, in every other stream, the first item inside [t, t + tolerance] finds the oldest
        set, with the smallest span for that start. Queues are tiny, so this is cheap.
        """
        if not self._synced:
            return {}
        if any(not self._queues[i] for i in self._synced):
            return None
        starts = sorted({s for i in self._synced for s, _ in self._queues[i]})
        for t in starts:
            chosen = {}
            for i in self._synced:
                pos = next((k for k, (s, _) in enumerate(self._queues[i])
                            if t <= s <= t + self.tolerance_ns), None)
                if pos is None:
                    break
                chosen[i] = pos
            else:
                return chosen
        return None


class LatestSlot:
    """One-item hand-off from a subscription callback to a worker thread (latest-frame policy).

    A slow model must not build a backlog: `put` replaces an item the worker has not taken yet
    (counted in `dropped`), so the worker always gets the newest frame and latency stays bounded.
    Items must not be None (None means "nothing" to `take`).
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._item = None
        self._closed = False
        self.dropped = 0

    def put(self, item):
        """Offer `item`; returns the item it replaced (dropped) or None. After close, `item` is dropped."""
        if item is None:
            raise ValueError("LatestSlot items must not be None")
        with self._cond:
            if self._closed:
                self.dropped += 1
                return item
            old, self._item = self._item, item
            if old is not None:
                self.dropped += 1
            self._cond.notify()
            return old

    def take(self, timeout=None):
        """The newest item (emptying the slot); waits up to `timeout` s. None on timeout or close."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed, timeout)
            item, self._item = self._item, None
            return item

    def close(self):
        """Wake every waiting `take`; later takes return what is left, then None without waiting."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
