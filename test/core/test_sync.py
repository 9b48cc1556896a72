"""StampSync matching / drops / resets, and LatestSlot's latest-frame hand-off between threads."""
import threading
import time

import pytest

from depth_restore_ros.core.sync import LatestSlot, StampSync

MS = 1_000_000


def test_exact_match_and_stale_drop():
    s = StampSync(2)
    assert s.add(0, 10 * MS, "img10") is None
    assert s.add(0, 20 * MS, "img20") is None
    assert s.add(1, 20 * MS, "info20") == ("img20", "info20")
    assert s.matched == 1 and s.dropped == [1, 0]  # img10 can never match any more
    assert s.add(1, 30 * MS, "info30") is None
    assert s.add(0, 30 * MS, "img30") == ("img30", "info30")
    assert s.add(0, 30 * MS, "dup") is None and s.dropped == [2, 0]  # already matched at 30


def test_exact_needs_equal_stamps_and_same_stamp_supersedes():
    s = StampSync(2)
    assert s.add(0, 10, "a") is None and s.add(1, 11, "b") is None
    assert s.add(0, 10, "a2") is None and s.dropped[0] == 1
    assert s.add(1, 10, "b10") is None  # stamp 10 < 11 on stream 1: went backwards -> reset
    assert s.resets == 1


def test_approximate_tolerance_and_oldest_set():
    s = StampSync(2, approximate=True, tolerance_ns=5 * MS)
    assert s.add(0, 100 * MS, "a100") is None
    assert s.add(1, 103 * MS, "b103") == ("a100", "b103")
    assert s.add(0, 200 * MS, "a200") is None
    assert s.add(1, 210 * MS, "b210") is None  # 10 ms apart: outside tolerance
    assert s.add(0, 212 * MS, "a212") == ("a212", "b210")
    assert s.dropped == [1, 0]  # a200 was older than the match
    s2 = StampSync(3, approximate=True, tolerance_ns=15)
    s2.add(0, 100, "a100"), s2.add(0, 110, "a110"), s2.add(1, 112, "b112")
    assert s2.add(2, 113, "c113") == ("a100", "b112", "c113")  # oldest complete set, in stream order


def test_latest_streams_ignore_stamps():
    s = StampSync(2, latest_streams=(1,))
    assert s.add(0, 10, "img10") is None  # no camera_info yet
    assert s.add(1, 999_999, "info") == ("img10", "info")
    assert s.add(0, 20, "img20") == ("img20", "info")
    assert s.add(1, 0, "info2") is None  # nothing waiting
    assert s.add(0, 30, "img30") == ("img30", "info2")
    assert s.matched == 3 and s.dropped == [0, 0] and s.resets == 0


def test_queue_is_bounded():
    s = StampSync(2, queue_size=3)
    for k in range(10):
        assert s.add(0, k, f"a{k}") is None
    assert s.dropped == [7, 0]
    assert s.add(1, 5, "b5") is None  # a5 overflowed away
    assert s.add(1, 8, "b8") == ("a8", "b8")
    assert s.dropped == [8, 1]  # a7 and b5 were older than the match


def test_last_dropped_is_the_stamp_of_the_latest_drop():
    s = StampSync(4)  # a stereo set: left image, left info, right image, right info
    assert s.last_dropped == [None] * 4
    for i, stamp in enumerate((10 * MS, 10 * MS, 11 * MS, 11 * MS)):  # right 1 ms late: no match
        assert s.add(i, stamp, i) is None
    for i in range(3):
        assert s.add(i, 20 * MS, i) is None
    assert s.add(3, 20 * MS, 3) == (0, 1, 2, 3)
    assert s.dropped == [1, 1, 1, 1] and s.last_dropped == [10 * MS, 10 * MS, 11 * MS, 11 * MS]
    s.add(0, 30 * MS, "queued")
    s.clear()
    assert s.last_dropped[0] == 30 * MS


def test_backwards_stamps_reset():
    s = StampSync(2)
    assert s.add(0, 1000, "a") is None
    assert s.add(1, 1000, "b") == ("a", "b")
    s.add(0, 2000, "queued")
    assert s.add(0, 5, "loop") is None  # bag looped
    assert s.resets == 1 and s.dropped == [1, 0]  # the queued item was cleared
    assert s.add(1, 5, "b5") == ("loop", "b5")


def test_concurrent_producers_lose_nothing_silently():
    s = StampSync(2, queue_size=5)
    n = 2000
    matches = []

    def produce(stream):
        for k in range(n):
            m = s.add(stream, k, (stream, k))
            if m is not None:
                matches.append(m)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert s.matched == len(matches) > 0 and s.resets == 0
    assert all(a[1] == b[1] for a, b in matches)
    for i in range(2):  # every item is matched, counted as dropped, or still queued
        assert s.matched + s.dropped[i] + s.pending[i] == n


def test_invalid_arguments():
    with pytest.raises(ValueError):
        StampSync(2, latest_streams=(2,))
    with pytest.raises(IndexError):
        StampSync(2).add(3, 0, "x")


def test_latest_slot_replaces_and_counts():
    slot = LatestSlot()
    assert slot.put("a") is None
    assert slot.put("b") == "a" and slot.dropped == 1
    assert slot.take() == "b"
    assert slot.take(timeout=0.01) is None


def test_latest_slot_producer_consumer():
    slot, n, taken = LatestSlot(), 300, []

    def consume():
        while True:
            item = slot.take(timeout=5)
            if item is None:
                return
            taken.append(item)
            time.sleep(0.002)  # a slow model

    worker = threading.Thread(target=consume)
    worker.start()
    for k in range(n):
        slot.put(k + 1)
        time.sleep(0.0002)
    deadline = time.monotonic() + 5
    while (not taken or taken[-1] != n) and time.monotonic() < deadline:
        time.sleep(0.001)
    slot.close()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert taken[-1] == n  # the newest frame always gets through
    assert taken == sorted(set(taken))  # in order, never twice
    assert len(taken) + slot.dropped == n and slot.dropped > 0


def test_latest_slot_close_wakes_waiter():
    slot, result = LatestSlot(), []
    waiter = threading.Thread(target=lambda: result.append(slot.take()))
    waiter.start()
    time.sleep(0.02)
    slot.close()
    waiter.join(timeout=2)
    assert not waiter.is_alive() and result == [None]
    assert slot.put("late") == "late" and slot.dropped == 1
