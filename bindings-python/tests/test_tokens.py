"""infrarag.tokens against tests/fixtures/tiktoken-counts.json (Python
tiktoken's counts for every file of ../shared/corpus/modules)."""

import json
import os
from pathlib import Path

import pytest

import infrarag
from infrarag import tokens

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("INFRARAG_CORPUS", REPO.parent / "shared" / "corpus"))


def test_counts_equal_python_tiktoken() -> None:
    expected = json.loads((REPO / "tests" / "fixtures" / "tiktoken-counts.json").read_text())["files"]
    assert len(expected) == 1272
    encodings = [tokens.get("cl100k_base"), tokens.get("o200k_base")]
    for rel, counts in list(expected.items())[::10]:
        text = (CORPUS / "modules" / rel).read_text()
        assert [e.count(text) for e in encodings] == counts, rel


def test_encode_decode_round_trip() -> None:
    enc = tokens.get("o200k_base")
    text = 'resource "aws_s3_bucket" "logs" {\n  bucket = "${var.name}-logs" # 🦀\n}\n'
    ids = enc.encode(text)
    assert all(isinstance(i, int) for i in ids)
    assert enc.decode(ids) == text
    assert enc.name == "o200k_base"
    assert repr(enc) == "Tokenizer('o200k_base')"


def test_errors_are_typed() -> None:
    with pytest.raises(infrarag.InvalidArgumentError) as info:
        tokens.get("gpt2")  # type: ignore[arg-type]
    assert info.value.argument == "tokenizer"
    enc = tokens.get("cl100k_base")
    with pytest.raises(infrarag.InvalidArgumentError):
        enc.decode(enc.encode("🦀")[:1])


def test_approximate_is_close() -> None:
    text = (CORPUS / "modules" / "s3" / "main.tf").read_text()
    exact = tokens.count(text)
    approx = tokens.count(text, "approximate")
    assert exact > 1000
    assert abs(approx / exact - 1) < 0.15
