"""The one exception type for bad input: the nodes count it by `kind` and log it once per kind."""


class InputError(ValueError):
    """Input that cannot be used (wrong encoding, truncated data, bad camera_info...).

    `kind` is a short stable key for diagnostics counters ("encoding", "size_mismatch", ...);
    `hint` tells the user what to do about it.
    """

    def __init__(self, kind: str, message: str, hint: str = ""):
        super().__init__(f"{message}" + (f" ({hint})" if hint else ""))
        self.kind = kind
        self.message = message
        self.hint = hint
