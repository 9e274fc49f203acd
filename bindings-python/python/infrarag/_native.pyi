"""Typed surface of the compiled extension; the public API is in
``infrarag.hcl``, ``infrarag.tokens``, ``infrarag.chunk`` and ``infrarag.errors``."""

import builtins
from typing import Any, Callable, Iterator, Literal, Mapping, Optional, Union, final

from infrarag.types import (
    CheckInfo,
    ChunkDict,
    Completion,
    Delta,
    FindingDict,
    GenerationResult,
    HitDict,
    PipelineEvent,
    ReportJson,
    Scores,
)

__version__: str
__all__ = ["AwsInventory", "CancelToken", "Chunk", "Chunker", "CollectionService", "Conversation", "Embedder", "Finding", "Generator", "Hit", "Index", "LanguageModel", "MemoryVectorStore", "Prompt", "Report", "Scheduler", "Template", "Tokenizer", "__version__", "build_prompt", "check_ids", "checks", "cli", "collect_parse", "drift_compare_config", "drift_compare_live", "drift_read_plan", "drift_read_plan_stream", "drift_read_state", "drift_sarif", "hcl_evaluate", "hcl_expand", "hcl_load_file", "hcl_load_module", "hcl_loads", "hcl_parse", "providers_describe", "redact", "validate"]

def cli(argv: list[str]) -> int: ...
def hcl_loads(text: str, *, dialect: str = "v7", with_meta: bool = False) -> dict[str, Any]: ...
def hcl_load_file(path: str, *, dialect: str = "v7", with_meta: bool = False) -> dict[str, Any]: ...
def hcl_parse(text: str, *, json: bool = False) -> dict[str, Any]: ...
def hcl_load_module(path: str) -> dict[str, Any]: ...
def hcl_evaluate(
    expr: str,
    *,
    module: Optional[str] = None,
    vars: Optional[list[tuple[str, str]]] = None,
    var_files: list[str] = ...,
    environment: bool = True,
) -> dict[str, Any]: ...
def hcl_expand(
    module: str,
    *,
    vars: Optional[list[tuple[str, str]]] = None,
    var_files: list[str] = ...,
    environment: bool = True,
) -> dict[str, Any]: ...
def providers_describe(type_name: str) -> dict[str, Any]: ...
def drift_read_state(path: str) -> dict[str, Any]: ...
def drift_read_plan(path: str) -> dict[str, Any]: ...
def drift_read_plan_stream(path: str) -> list[dict[str, Any]]: ...
def drift_compare_config(
    module: str,
    state: str,
    *,
    vars: Optional[list[tuple[str, str]]] = None,
    var_files: list[str] = ...,
    environment: bool = True,
) -> dict[str, Any]: ...
def drift_compare_live(
    state: str,
    inventory: Any,
    *,
    ignore: str = ...,
    strict: bool = False,
    resource_types: Optional[list[str]] = None,
) -> dict[str, Any]: ...
def drift_sarif(
    state: str,
    *,
    config: Optional[Mapping[str, Any]] = None,
    live: Optional[Mapping[str, Any]] = None,
    plan: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]: ...
@final
class AwsInventory:
    """Lists AWS resources as the Terraform AWS provider's state names them;
    see :mod:`infrarag.drift`."""
    def __new__(
        cls,
        *,
        regions: Optional[list[str]] = None,
        endpoint: Optional[str] = None,
        profile: Optional[str] = None,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        session_token: Optional[str] = None,
        concurrency: Optional[int] = None,
        page_size: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[float] = None,
        max_backoff: Optional[float] = None,
        max_retry_after: Optional[float] = None,
    ) -> AwsInventory: ...
    def resource_types(self) -> list[str]: ...
    def list(self, resource_type: str) -> list[dict[str, Any]]: ...
    @property
    def regions(self) -> builtins.list[str]: ...
    @property
    def requests(self) -> int: ...

def check_ids() -> list[str]: ...
def checks(*, checks: Optional[list[str]] = None, skip_checks: Optional[list[str]] = None) -> list[CheckInfo]: ...
def collect_parse(kind: str, text: str) -> list[dict[str, Any]]: ...
def validate(
    module: Union[str, list[tuple[str, str]]],
    *,
    checks: Optional[list[str]] = None,
    skip_checks: Optional[list[str]] = None,
    policies: Optional[list[str]] = None,
    recursive: bool = False,
    expand: bool = True,
    vars: list[tuple[str, str]] = ...,
    var_files: list[str] = ...,
) -> Report: ...

@final
class Finding:
    """One thing wrong with a module: where, what, and a fix when clear."""

    @property
    def severity(self) -> str:
        """``error`` or ``warning``."""
    @property
    def code(self) -> str:
        """Stable: ``undeclared_variable``, ``duplicate_resource``, ``syntax.unexpected``, ..."""
    @property
    def summary(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def file(self) -> str:
        """Relative to the module directory."""
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def end_column(self) -> int: ...
    @property
    def start_byte(self) -> int: ...
    @property
    def end_byte(self) -> int: ...
    @property
    def related(self) -> list[dict[str, Any]]:
        """Other places that explain this one: ``file``, ``span``, ``message``."""
    @property
    def fix(self) -> Optional[dict[str, Any]]:
        """``message``, ``file``, ``span`` and ``replacement``, when a fix is clear."""
    def to_dict(self) -> FindingDict: ...

@final
class Report:
    """What validating a module found."""

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
    @property
    def error_count(self) -> int: ...
    @property
    def warning_count(self) -> int: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def findings(self) -> list[Finding]: ...
    @property
    def policies(self) -> list[dict[str, Any]]:
        """Every security-policy verdict, passed ones included: ``check``, ``title``, ``address``, ``outcome`` (``PASSED``, ``FAILED``, ``UNKNOWN``, ``SKIPPED``), ``file``, ``span``."""
    @property
    def suppressed(self) -> list[dict[str, Any]]:
        """Findings silenced by ``#checkov:skip=`` / ``# infrarag:ignore`` comments: ``finding``, ``reason``, ``file``, ``span``."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Finding]: ...
    def to_text(self) -> str: ...
    def to_dict(self) -> ReportJson: ...
    def to_json(self) -> ReportJson: ...
    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0."""
    def to_junit(self) -> str: ...
    def to_terraform(self) -> dict[str, Any]:
        """The shape of ``terraform validate -json``."""

@final
class Tokenizer:
    def __new__(cls, name: str) -> Tokenizer: ...
    @property
    def name(self) -> str: ...
    def count(self, text: str) -> int: ...
    def encode(self, text: str) -> list[int]: ...
    def decode(self, tokens: list[int]) -> str: ...

@final
class Chunk:
    """One retrievable piece of a source file."""

    @property
    def id(self) -> str:
        """32 hex digits of SHA-256 over path, byte range and text."""
    @property
    def path(self) -> str: ...
    @property
    def language(self) -> str:
        """``hcl``, ``markdown`` or ``text``."""
    @property
    def kind(self) -> str:
        """See :data:`infrarag.chunk.Kind`."""
    @property
    def text(self) -> str: ...
    @property
    def block_type(self) -> Optional[str]: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def address(self) -> Optional[str]:
        """The Terraform address, e.g. ``aws_s3_bucket.logs`` or ``var.region``."""
    @property
    def heading_path(self) -> list[str]: ...
    @property
    def part(self) -> int: ...
    @property
    def parts(self) -> int: ...
    @property
    def start_line(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def start_byte(self) -> int: ...
    @property
    def end_byte(self) -> int: ...
    @property
    def token_count(self) -> int: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def summary(self) -> str: ...
    def to_dict(self) -> ChunkDict: ...

@final
class Chunker:
    def __new__(
        cls, max_tokens: Optional[int] = None, overlap: Optional[int] = None, tokenizer: Optional[object] = None
    ) -> Chunker: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def overlap(self) -> int: ...
    @property
    def tokenizer(self) -> str: ...
    def chunk_file(self, path: str, content: str, *, language: Optional[str] = None) -> list[Chunk]: ...
    def chunk_dir(
        self,
        path: str,
        *,
        extensions: Optional[list[str]] = None,
        include_hidden: bool = False,
        max_file_bytes: Optional[int] = None,
        progress: Optional[object] = None,
    ) -> dict[str, Any]: ...

@final
class Hit:
    @property
    def chunk(self) -> Chunk: ...
    @property
    def score(self) -> float: ...
    @property
    def scores(self) -> Scores: ...
    @property
    def citation(self) -> str: ...
    @property
    def places(self) -> list[str]: ...
    def to_dict(self) -> HitDict: ...

@final
class Embedder:
    @staticmethod
    def hashing(dimension: Optional[int] = None) -> Embedder: ...
    @staticmethod
    def http(
        url: str,
        model: str,
        *,
        api_key: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        dimension: Optional[int] = None,
        batch_size: Optional[int] = None,
        concurrency: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[float] = None,
        max_backoff: Optional[float] = None,
        max_retry_after: Optional[float] = None,
    ) -> Embedder: ...
    @property
    def model(self) -> str: ...
    @property
    def dimension(self) -> int: ...
    def embed(self, texts: list[str]) -> list[list[float]]: ...

@final
class CancelToken:
    """Asks long work (a generation) to stop; see :mod:`infrarag.pipeline`."""
    def __new__(cls) -> CancelToken: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

@final
class Index:
    def __new__(
        cls, *, chunker: Optional[Chunker] = None, embedder: Optional[Embedder] = None
    ) -> Index: ...
    @staticmethod
    def open(
        path: str, *, chunker: Optional[Chunker] = None, embedder: Optional[Embedder] = None
    ) -> Index: ...
    @staticmethod
    def postgres(
        url: str,
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
        max_connections: Optional[int] = None,
        statement_timeout: Optional[float] = None,
        ca_file: Optional[str] = None,
        cache_chunks: bool = False,
    ) -> Index: ...
    @staticmethod
    def with_stores(
        documents: object,
        code: object,
        summary: object,
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
    ) -> Index: ...
    def close(self) -> None: ...
    @property
    def model(self) -> str: ...
    def __len__(self) -> int: ...
    def add_path(
        self,
        path: str,
        *,
        extensions: Optional[list[str]] = None,
        progress: Optional[object] = None,
    ) -> dict[str, Any]: ...
    def search(
        self,
        query: str,
        k: Optional[int] = None,
        *,
        mode: Optional[str] = None,
        path_prefix: Optional[str] = None,
        language: Optional[str] = None,
        block_type: Optional[str] = None,
        address: Optional[str] = None,
        ef: Optional[int] = None,
    ) -> list[Hit]: ...
    def sources(self) -> list[dict[str, Any]]: ...
    def remove_path(self, path: str) -> int: ...

@final
class MemoryVectorStore:
    def __new__(cls, dimension: int) -> MemoryVectorStore: ...
    @property
    def dimension(self) -> int: ...
    def __len__(self) -> int: ...
    def upsert(self, ids: list[str], vectors: bytes) -> None: ...
    def search(
        self, vector: Union[list[float], bytes], k: int = 10, ef: int = 64
    ) -> list[tuple[str, float]]: ...

@final
class LanguageModel:
    """A model that answers requests; see :mod:`infrarag.llm`."""
    @staticmethod
    def anthropic(
        model: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[float] = None,
        max_backoff: Optional[float] = None,
        max_retry_after: Optional[float] = None,
    ) -> LanguageModel: ...
    @staticmethod
    def openai(
        model: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[float] = None,
        max_backoff: Optional[float] = None,
        max_retry_after: Optional[float] = None,
    ) -> LanguageModel: ...
    @staticmethod
    def fallback() -> LanguageModel: ...
    @staticmethod
    def from_env(model: Optional[str] = None) -> LanguageModel: ...
    @property
    def name(self) -> str: ...
    def complete(
        self,
        request: Union[str, dict[str, Any]],
        on_delta: Optional[Callable[[Delta], Any]] = None,
    ) -> Completion: ...

@final
class Prompt:
    """An assembled prompt; see :mod:`infrarag.prompt`."""
    @property
    def request(self) -> dict[str, Any]: ...
    @property
    def budget(self) -> int: ...
    @property
    def tokens(self) -> int: ...
    @property
    def context(self) -> list[dict[str, Any]]: ...
    @property
    def omitted(self) -> list[dict[str, Any]]: ...
    @property
    def redactions(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_anthropic(self, model: str) -> dict[str, Any]: ...
    def to_openai(self, model: str) -> dict[str, Any]: ...

def build_prompt(
    user: Optional[str],
    *,
    system: list[tuple[str, bool]],
    task: Optional[str],
    context: list[dict[str, Any]],
    conversation: Optional[Conversation],
    tools: list[dict[str, Any]],
    context_window: Optional[int],
    reserve_output: Optional[int],
    tokenizer: Optional[str],
    redact: Optional[bool],
    temperature: Optional[float],
) -> Prompt: ...
def redact(text: str) -> tuple[str, list[dict[str, Any]]]: ...

@final
class Conversation:
    """A chat's turns under a token budget; see :mod:`infrarag.prompt`."""
    def __new__(cls, budget: int, *, keep_latest: Optional[int] = None, tokenizer: Optional[str] = None) -> Conversation: ...
    @staticmethod
    def from_json(text: str) -> Conversation: ...
    def to_json(self) -> str: ...
    def push(self, role_name: str, text: str) -> int: ...
    @property
    def tokens(self) -> int: ...
    @property
    def budget(self) -> int: ...
    @property
    def over_budget(self) -> bool: ...
    @property
    def turns(self) -> list[dict[str, Any]]: ...
    @property
    def summary(self) -> Optional[dict[str, Any]]: ...
    def foldable(self) -> int: ...
    def fold(self, n: int, summary: str) -> dict[str, int]: ...
    def compact(
        self,
        summariser: Union[LanguageModel, Callable[[Optional[str], list[dict[str, Any]]], str]],
    ) -> Optional[dict[str, Any]]: ...
    def __len__(self) -> int: ...

@final
class Template:
    """Text with ``{{name}}`` slots; a missing value raises."""
    def __new__(cls, text: str) -> Template: ...
    @property
    def variables(self) -> list[str]: ...
    def render(self, **values: object) -> str: ...

@final
class Generator:
    """The generation loop; see :mod:`infrarag.pipeline`."""
    def __new__(
        cls,
        model: LanguageModel,
        *,
        tools: list[tuple[str, str, dict[str, Any], Callable[[dict[str, Any]], Any]]],
        max_rounds: Optional[int] = None,
        max_steps: Optional[int] = None,
        k: Optional[int] = None,
        checks: Optional[list[str]] = None,
        skip_checks: Optional[list[str]] = None,
        system: Optional[str] = None,
        context_window: Optional[int] = None,
        reserve_output: Optional[int] = None,
    ) -> Generator: ...
    def generate(
        self,
        task: str,
        *,
        index: Optional[Index] = None,
        context: Optional[list[dict[str, Any]]] = None,
        conversation: Optional[Conversation] = None,
        on_event: Optional[Callable[[PipelineEvent], Any]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> GenerationResult: ...
    @property
    def model(self) -> str: ...

@final
class CollectionService:
    """The collection service; see :mod:`infrarag.collect`."""
    def __new__(
        cls,
        *,
        hosts: Optional[list[tuple[str, Any]]] = None,
        ssh_config: Optional[str] = None,
        collectors: Optional[list[tuple[str, list[list[str]], Callable[[list[Any]], Any]]]] = None,
        ttl: Optional[dict[str, float]] = None,
        max_per_host: Optional[int] = None,
        max_total: Optional[int] = None,
        retries: Optional[int] = None,
        backoff: Optional[float] = None,
        system_interval: Optional[float] = None,
        store: Optional[Any] = None,
    ) -> CollectionService: ...
    @property
    def hosts(self) -> list[str]: ...
    @property
    def methods(self) -> list[str]: ...
    def collect(
        self, host: str, method: str, *, actor: str = "", reason: str = "", args: Optional[dict[str, str]] = None
    ) -> dict[str, Any]: ...
    def query(
        self,
        what: Literal["audit", "records"],
        *,
        host: Optional[str] = None,
        method: Optional[str] = None,
        since_ms: Optional[int] = None,
        until_ms: Optional[int] = None,
    ) -> list[dict[str, Any]]: ...
    def latest(self, host: str, method: str) -> list[dict[str, Any]]: ...
    def prune(self, before_ms: int) -> int: ...

@final
class Scheduler:
    """The scheduler; see :mod:`infrarag.collect`."""
    def __new__(cls, *, on_run: Optional[Callable[[Any], object]] = None, workers: Optional[int] = None) -> Scheduler: ...
    def add(
        self,
        name: str,
        function: Callable[[], object],
        *,
        every: Optional[float] = None,
        jitter: Optional[float] = None,
        cron: Optional[str] = None,
        tz: Optional[str] = None,
    ) -> None: ...
    def add_collection(
        self,
        name: str,
        service: CollectionService,
        targets: list[tuple[str, str]],
        *,
        every: Optional[float] = None,
        jitter: Optional[float] = None,
        cron: Optional[str] = None,
        tz: Optional[str] = None,
        actor: str = "scheduler",
        reason: str = "",
    ) -> None: ...
    def remove(self, name: str) -> bool: ...
    @property
    def jobs(self) -> list[str]: ...
    def upcoming(self, n: int = 1) -> list[tuple[str, int]]: ...
    def history(self) -> list[dict[str, Any]]: ...
    def start(self) -> None: ...
    def shutdown(self, timeout: float) -> dict[str, Any]: ...
