"""The infrarag exception hierarchy: every error is an ``InfraragError``
with a stable ``code`` and structured attributes."""

from __future__ import annotations

from typing import Any, Optional


class InfraragError(Exception):
    """Base class of every infrarag error.

    Attributes:
        code: a stable, machine-readable identifier such as ``"PARSE_ERROR"``.
    """

    code: str = "INFRARAG_ERROR"


class ParseError(InfraragError, ValueError):
    """Source text has syntax errors (or is not UTF-8).

    Attributes:
        diagnostics: one dict per error, each with ``severity``, ``code``,
            ``message`` and ``span`` (``start``/``end`` holding ``byte``,
            1-based ``line`` and ``column``).
        path: the file, when the text came from one.
    """

    code = "PARSE_ERROR"
    diagnostics: list[dict[str, Any]]
    path: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.diagnostics = []
        self.path = None


class EvaluationError(InfraragError, ValueError):
    """A Terraform expression has no value: a function refused its
    arguments, an attribute or index does not exist, types do not convert.

    Attributes:
        diagnostics: one dict per error, as :class:`ParseError` has them;
            ``summary`` is Terraform's title (``"Invalid function
            argument"``).
        path: the file, when the expression came from one.
    """

    code = "EVALUATION_ERROR"
    diagnostics: list[dict[str, Any]]
    path: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.diagnostics = []
        self.path = None


class StorageError(InfraragError, OSError):
    """A file, directory or store could not be read or written: ``code`` is
    ``"IO_ERROR"`` for files being read, ``"STORAGE_ERROR"`` for an index
    file (locked by another process, not an index, holding another
    embedder's vectors, closed) or a store failing, ``"DATABASE_ERROR"``
    for PostgreSQL (unreachable, bad credentials, no pgvector, a newer
    schema, a statement timeout).

    Attributes:
        path: the file or directory concerned, when there is one.
        sqlstate: PostgreSQL's five-character SQLSTATE (``"28P01"`` for a
            bad password), when the server answered with one.
    """

    code = "IO_ERROR"
    path: Optional[str]
    sqlstate: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.path = None
        self.sqlstate = None


class InvalidArgumentError(InfraragError, ValueError):
    """An argument has a value infrarag does not accept.

    Attributes:
        argument: the argument's name.
    """

    code = "INVALID_ARGUMENT"
    argument: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.argument = None


class ProviderError(InfraragError):
    """A remote model service (an embeddings endpoint) failed after its
    retries, or answered with something unusable.

    Attributes:
        provider: the service's host.
        model: the model asked for.
        status: the last HTTP status, or ``None`` when none came back
            (timeout, refused connection).
        request_id: the id the service gave the request, to quote to its
            support, when it sent one.
        retry_after: seconds the service asked to wait before retrying,
            when that was longer than the client's ``max_retry_after``
            (default 60), so the call failed at once instead of waiting.
    """

    code = "PROVIDER_ERROR"
    provider: Optional[str]
    model: Optional[str]
    status: Optional[int]
    request_id: Optional[str]
    retry_after: Optional[float]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.provider = None
        self.model = None
        self.status = None
        self.request_id = None
        self.retry_after = None


class EmbedError(InfraragError):
    """An embedder failed, or gave vectors that cannot be used (the wrong
    length, not finite).

    Attributes:
        model: the embedder's model id.
    """

    code = "EMBED_ERROR"
    model: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.model = None


class ToolError(InfraragError):
    """A tool given to the generation loop failed; the loop reports its
    message to the model as the call's result.

    Attributes:
        tool: the tool's name.
    """

    code = "TOOL_ERROR"
    tool: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.tool = None


class TransportError(InfraragError, ConnectionError):
    """A host could not be reached, or its connection broke, after the
    service's retries.

    Attributes:
        host: the host.
        method: the collection method.
    """

    code = "TRANSPORT_ERROR"
    host: Optional[str]
    method: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.host = None
        self.method = None


class HostKeyError(InfraragError):
    """A host offered an SSH host key that is not trusted: not in the
    known_hosts file, not the pinned key, or CHANGED from the one recorded.
    Never retried: check the fingerprint out of band before trusting it.

    Attributes:
        host, method: where and what was collected.
        fingerprint: the SHA-256 fingerprint of the key offered
            (``SHA256:...``, as ``ssh-keygen -l`` prints it).
    """

    code = "HOST_KEY_ERROR"
    host: Optional[str]
    method: Optional[str]
    fingerprint: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.host = None
        self.method = None
        self.fingerprint = None


class AuthError(InfraragError, PermissionError):
    """A host accepted none of the SSH keys offered (the message lists each
    key file and why it failed: refused, encrypted without a passphrase).

    Attributes:
        host, method: where and what was collected.
    """

    code = "AUTH_ERROR"
    host: Optional[str]
    method: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.host = None
        self.method = None


class CommandError(InfraragError):
    """A collection's command failed: it is not installed (``status`` 127),
    may not be run (126), could not start (``None``), or exited with a
    status its method does not accept.

    Attributes:
        host, method: where and what was collected.
        command: the command line.
        status: its exit status.
        stderr: what it wrote to stderr.
    """

    code = "COMMAND_ERROR"
    host: Optional[str]
    method: Optional[str]
    command: Optional[str]
    status: Optional[int]
    stderr: Optional[str]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.host = None
        self.method = None
        self.command = None
        self.status = None
        self.stderr = None


class CommandTimeoutError(InfraragError, TimeoutError):
    """A collection's command ran past its timeout and was stopped.

    Attributes:
        host, method, command: as for :class:`CommandError`.
        after: the timeout, in seconds.
    """

    code = "COMMAND_TIMEOUT"
    host: Optional[str]
    method: Optional[str]
    command: Optional[str]
    after: Optional[float]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.host = None
        self.method = None
        self.command = None
        self.after = None


class OutputError(InfraragError, ValueError):
    """A collection's command gave output its method could not parse.

    Attributes:
        host, method, command: as for :class:`CommandError`.
        line: the 1-based line of the output (0 when a custom parse
            function raised without saying).
    """

    code = "OUTPUT_ERROR"
    host: Optional[str]
    method: Optional[str]
    command: Optional[str]
    line: Optional[int]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.host = None
        self.method = None
        self.command = None
        self.line = None


class CancelledError(InfraragError):
    """Long work was stopped before it finished; nothing was returned."""

    code = "CANCELLED"


class BusyError(InfraragError):
    """The call would have had to wait for other work on the same object
    (an ingestion running on the same index) and was asked not to."""

    code = "BUSY"


class InternalError(InfraragError):
    """A bug in infrarag: one of its own checks failed, and the call was
    stopped there instead of taking the process down. Nothing the call was
    writing is committed. The message says what failed; please report it."""

    code = "INTERNAL_ERROR"


__all__ = [
    "InfraragError",
    "ParseError",
    "EvaluationError",
    "StorageError",
    "InvalidArgumentError",
    "ProviderError",
    "EmbedError",
    "ToolError",
    "TransportError",
    "HostKeyError",
    "AuthError",
    "CommandError",
    "CommandTimeoutError",
    "OutputError",
    "CancelledError",
    "BusyError",
    "InternalError",
]
