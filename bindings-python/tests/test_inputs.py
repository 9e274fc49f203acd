"""What a Python backend hands the library: modules held in memory, check
names and numbers that must be refused rather than misread, and clients
that fail when made rather than on their first request."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

import infrarag
from infrarag import InvalidArgumentError
from infrarag.index import Index
from infrarag.llm import LanguageModel
from infrarag.pipeline import Generator
from infrarag.prompt import Conversation

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "tests" / "fixtures" / "validate" / "references"


def test_validate_text_and_files_match_the_directory() -> None:
    text = (REFERENCES / "main.tf").read_text()
    from_dir = infrarag.validate(REFERENCES)
    for report in (infrarag.validate_text(text), infrarag.validate_files({"main.tf": text})):
        assert report.to_json()["findings"] == from_dir.to_json()["findings"]
        assert len(report) > 0
    with pytest.raises(InvalidArgumentError, match="notes.txt"):
        infrarag.validate_files({"notes.txt": "x"})
    with pytest.raises(InvalidArgumentError, match="no files"):
        infrarag.validate_files({})


def test_check_names_that_name_nothing_or_a_bare_string_are_refused() -> None:
    with pytest.raises(InvalidArgumentError) as e:
        infrarag.validate(REFERENCES, checks=["CKV_AWS_999", "undeclared_variabel"])
    assert e.value.argument == "checks" and "CKV_AWS_99" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="undeclared_variable") as e:
        infrarag.validate(REFERENCES, skip_checks=["undeclared_variabel"])
    assert e.value.argument == "skip_checks"
    with pytest.raises(InvalidArgumentError, match=r"\['CKV_AWS_'\]") as e:
        infrarag.validate(REFERENCES, checks=cast(Any, "CKV_AWS_"))
    assert e.value.argument == "checks"
    with pytest.raises(InvalidArgumentError, match="undeclared_"):
        Generator(LanguageModel.fallback(), checks=["undeclard_"])
    assert infrarag.validate(REFERENCES, checks=["undeclared_"]).error_count == 8


@pytest.mark.parametrize("bad", [-1, 1.5, True, 2**70])
def test_whole_numbers_are_checked(bad: Any) -> None:
    with pytest.raises(InvalidArgumentError) as e:
        Index().search("x", k=bad)
    assert e.value.argument == "k" and e.value.code == "INVALID_ARGUMENT"
    with pytest.raises(InvalidArgumentError):
        Index().search("x", ef=bad)


def test_a_chat_client_without_a_key_fails_when_made() -> None:
    with pytest.raises(InvalidArgumentError, match="ANTHROPIC_API_KEY") as e:
        LanguageModel.anthropic("claude-sonnet-4-5")
    assert e.value.argument == "api_key"
    assert Conversation(300).budget == 300


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_counts_everywhere_are_whole_numbers(bad: Any) -> None:
    from infrarag.chunk import Chunker

    calls: dict[str, Any] = {
        "budget": lambda: Conversation(bad),
        "keep_latest": lambda: Conversation(300, keep_latest=bad),
        "max_rounds": lambda: Generator(LanguageModel.fallback(), max_rounds=bad),
        "k": lambda: Generator(LanguageModel.fallback(), k=bad),
        "max_tokens": lambda: Chunker(max_tokens=bad),
        "max_retries": lambda: LanguageModel.anthropic("m", api_key="k", max_retries=bad),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidArgumentError) as e:
            call()
        assert e.value.code == "INVALID_ARGUMENT"
        named = e.value.argument == name or any(name in note for note in getattr(e.value, "__notes__", []))
        assert named, (name, e.value)


def test_http_clients_refuse_keywords_they_do_not_take() -> None:
    from infrarag.embed import HttpEmbedder

    with pytest.raises(TypeError, match="unexpected keyword argument 'timout'"):
        LanguageModel.openai("m", base_url="http://127.0.0.1:9/v1", timout=3)  # type: ignore[call-arg]
    with pytest.raises(InvalidArgumentError) as e:
        HttpEmbedder("http://127.0.0.1:9/v1/embeddings", "m", dimension=3, headers=["x"])  # type: ignore[arg-type]
    assert e.value.argument == "headers"
