"""Prompt assembly under a token budget, conversation memory, templates and
secret redaction.

>>> from infrarag.prompt import PromptBuilder, Conversation, Template, redact
>>> p = (PromptBuilder(context_window=2000, reserve_output=500)
...      .system("You write Terraform.", cache=True)
...      .context([{"citation": "main.tf:1-3", "text": 'resource "aws_s3_bucket" "b" {}'}])
...      .user("Add versioning.")
...      .build())
>>> p.tokens <= p.budget == 1500, p.omitted
(True, [])
>>> p.to_anthropic("claude-sonnet-4-5")["system"][0]["cache_control"]
{'type': 'ephemeral'}
>>> redact('password = "hunter2-long"')[0]
'password = "[REDACTED password 1]"'
>>> Template("Hello {{name}}").render(name="you")
'Hello you'

When the parts do not fit, the oldest history turns go first, then the
history's summary, then context from the lowest-ranked, then the task is
cut; ``Prompt.omitted`` lists what was left out.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Union

from infrarag import _native
from infrarag._native import Conversation, Hit, Prompt, Template

__all__ = ["Conversation", "Prompt", "PromptBuilder", "Template", "redact"]


def redact(text: str) -> tuple[str, list[dict[str, Any]]]:
    """``text`` with AWS keys, private keys, API tokens and secret-named
    assignments replaced by placeholders, and a list of what was replaced
    (kind, line, column, placeholder)."""
    return _native.redact(text)


def _context_item(item: Union[Hit, dict[str, Any]]) -> dict[str, Any]:
    if isinstance(item, Hit):
        c = item.chunk
        return {"citation": item.citation, "address": c.address, "language": c.language, "text": c.text}
    return dict(item)


class PromptBuilder:
    """Gathers a prompt's parts; :meth:`build` packs them into the budget
    (``context_window - reserve_output``: 200,000 and 4,096 unless given),
    counted with ``tokenizer`` (``cl100k_base``), redacting secrets unless
    ``redact`` is false."""

    def __init__(
        self,
        *,
        context_window: Optional[int] = None,
        reserve_output: Optional[int] = None,
        tokenizer: Optional[str] = None,
        redact: Optional[bool] = None,
    ) -> None:
        self._window = context_window
        self._reserve = reserve_output
        self._tokenizer = tokenizer
        self._redact = redact
        self._system: list[tuple[str, bool]] = []
        self._task: Optional[str] = None
        self._context: list[dict[str, Any]] = []
        self._conversation: Optional[Conversation] = None
        self._tools: list[dict[str, Any]] = []
        self._user: Optional[str] = None
        self._temperature: Optional[float] = None

    def system(self, text: str, *, cache: bool = False) -> "PromptBuilder":
        """Adds a system part; ``cache`` ends a prefix Anthropic may cache."""
        self._system.append((text, cache))
        return self

    def task(self, text: str) -> "PromptBuilder":
        self._task = text
        return self

    def context(self, items: Iterable[Union[Hit, dict[str, Any]]]) -> "PromptBuilder":
        """Search hits, or dicts with ``citation``, ``text`` and optionally
        ``address`` and ``language``; best first."""
        self._context.extend(_context_item(i) for i in items)
        return self

    def history(self, conversation: Conversation) -> "PromptBuilder":
        self._conversation = conversation
        return self

    def tools(self, tools: Iterable[dict[str, Any]]) -> "PromptBuilder":
        """Tool specs: ``{"name", "description", "parameters"}`` (JSON schema)."""
        self._tools.extend(tools)
        return self

    def user(self, text: str) -> "PromptBuilder":
        self._user = text
        return self

    def temperature(self, t: float) -> "PromptBuilder":
        self._temperature = t
        return self

    def build(self) -> Prompt:
        """Raises :class:`infrarag.InvalidArgumentError` when there is no user
        message or the system parts and user message alone exceed the
        budget."""
        return _native.build_prompt(
            self._user,
            system=self._system,
            task=self._task,
            context=self._context,
            conversation=self._conversation,
            tools=self._tools,
            context_window=self._window,
            reserve_output=self._reserve,
            tokenizer=self._tokenizer,
            redact=self._redact,
            temperature=self._temperature,
        )

