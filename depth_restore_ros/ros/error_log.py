"""Logging of bad input: once in full per kind, then rate-limited reminders with counts.

A camera that sends a wrong encoding sends it 30 times a second: logging every frame buries the
one line that says what to do, and logging only once hides that it is still happening. So the
first occurrence of each kind is logged in full (what was wrong, what to do), later ones are
counted and summed up in at most one reminder per kind every `reminder_s` seconds.
"""
import threading
import time


# What to do, for errors raised without a hint of their own (keys: core.errors.InputError kinds).
DEFAULT_HINTS = {
    "encoding": "publish the camera in a supported encoding (e.g. rgb8, bgr8, mono8) or debayer "
                "it first (image_proc)",
    "size_mismatch": "the image's width, height, step and data disagree: fix or update the camera "
                     "driver, or republish the image",
    "truncated": "the message was cut short: check the driver and the transport",
    "compressed": "check the publisher's compressed transport (jpeg/png) and that its data is not "
                  "corrupted on the way",
    "camera_info": "calibrate the camera (camera_calibration) so camera_info K/P hold finite "
                   "intrinsics with fx, fy > 0",
    "image": "send an RGB or mono camera image of at least 8x8 pixels",
}


class InputErrorLog:
    """Thread-safe: the subscription callbacks and the worker thread both report."""

    def __init__(self, logger, reminder_s: float = 10.0, label: str = "bad input", clock=time.monotonic):
        self._logger = logger  # anything with .warning(str) (an rclpy logger, logging.Logger)
        self._label = label  # first words of every line: "bad input", "processing error"
        self._reminder_s = float(reminder_s)
        self._clock = clock
        self._lock = threading.Lock()
        self.counts = {}  # kind -> occurrences since start
        self._since_reminder = {}  # kind -> occurrences not yet reported
        self._last_log = {}  # kind -> clock time of the last line about it

    def report(self, kind: str, message: str, hint: str = "") -> bool:
        """Count one occurrence of `kind`; returns True if a line was logged for it."""
        now = self._clock()
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            first = kind not in self._last_log
            if not first and now - self._last_log[kind] < self._reminder_s:
                self._since_reminder[kind] = self._since_reminder.get(kind, 0) + 1
                return False
            pending = self._since_reminder.pop(kind, 0)
            self._last_log[kind] = now
            total = self.counts[kind]
        hint = hint or DEFAULT_HINTS.get(kind, "")
        todo = f" -- {hint}" if hint else ""
        if first:
            text = (f"{self._label} ({kind}): {message}{todo}. The frame was skipped; further '{kind}' "
                    f"problems are counted in /diagnostics and summed up every {self._reminder_s:g} s.")
        else:
            text = (f"{self._label} ({kind}) still happening: {pending + 1} more since the last report, "
                    f"{total} in all; latest: {message}{todo}")
        self._logger.warning(text)
        return True

    def report_error(self, error) -> bool:
        """`report` for a core.errors.InputError."""
        return self.report(error.kind, error.message, error.hint)

    def reset(self) -> None:
        """Forget what was logged (e.g. on cleanup), so a re-configured node explains again."""
        with self._lock:
            self._since_reminder.clear()
            self._last_log.clear()
