"""The one exception class for mistakes a user can fix (bad case files, bad usage)."""


class CaseError(Exception):
    """A problem in a user's input, told in one paragraph.

    ``file``, ``key`` (dotted path such as ``weights.kernel``) and ``line`` say
    where; the message says what was found and what was expected.
    """

    def __init__(self, message, file=None, key=None, line=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.key = key
        self.line = line

    def __str__(self):
        where = str(self.file) if self.file else ""
        if self.file and self.line:
            where += f":{self.line}"
        parts = [p for p in (where, self.key) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message
