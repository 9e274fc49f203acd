//! Tokenizers: exact counts equal Python tiktoken's on every file of
//! ../shared/corpus/modules (tests/fixtures/tiktoken-counts.json, generated
//! by tests/fixtures/gen_tiktoken_counts.py), round trips, and the
//! approximate counter's error bound.

use infrarag::tokens::{self, Approximate, Tiktoken, Tokenizer};
use infrarag_tests::{corpus, read_json};

fn fixture() -> Vec<(String, String, [usize; 2])> {
    let doc = read_json(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiktoken-counts.json"),
    );
    let modules = corpus().join("modules");
    doc["files"]
        .as_object()
        .expect("files")
        .iter()
        .map(|(rel, counts)| {
            let text = std::fs::read_to_string(modules.join(rel)).expect("corpus file");
            let c = |i: usize| counts[i].as_u64().expect("count") as usize;
            (rel.clone(), text, [c(0), c(1)])
        })
        .collect()
}

#[test]
fn exact_counts_equal_python_tiktoken_on_every_module_file() {
    let files = fixture();
    assert_eq!(files.len(), 1272, "every file of corpus/modules");
    let encodings = [Tiktoken::cl100k_base(), Tiktoken::o200k_base()];
    let mut differ = Vec::new();
    for (rel, text, expected) in &files {
        for (enc, want) in encodings.iter().zip(expected) {
            let got = enc.count(text);
            if got != *want {
                differ.push(format!("{rel} {}: {got} != {want}", enc.name()));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

#[test]
fn encode_then_decode_gives_the_text_back() {
    for (rel, text, _) in fixture().iter().step_by(25) {
        for enc in [Tiktoken::cl100k_base(), Tiktoken::o200k_base()] {
            assert_eq!(&enc.decode(&enc.encode(text)).unwrap(), text, "{rel}");
        }
    }
    // Special-token text is ordinary text, as with disallowed_special=().
    let enc = Tiktoken::cl100k_base();
    assert!(enc.count("<|endoftext|>") > 1);
}

/// Token ids printed by Python tiktoken 0.14.0
/// (`enc.encode(s, disallowed_special=())`) for three hand-picked strings.
#[test]
fn token_ids_equal_python_tiktoken() {
    let cases: [(&str, [&[u32]; 2]); 3] = [
        (
            "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.name\n}\n",
            [
                &[
                    9416, 330, 8805, 646, 18, 39849, 1, 330, 22856, 1, 341, 220, 15994, 284, 767,
                    2710, 198, 534,
                ],
                &[
                    20637, 392, 12499, 1278, 18, 95435, 1, 392, 53260, 1, 405, 220, 28257, 314,
                    972, 4834, 198, 739,
                ],
            ],
        ),
        (
            "  \n\n  x  ",
            [&[19124, 220, 865, 256], &[11691, 220, 1215, 256]],
        ),
        (
            "🦀 ünïcödé <|endoftext|>",
            [
                &[
                    9468, 99, 222, 10709, 77, 38672, 66, 3029, 67, 978, 83739, 8862, 728, 428, 91,
                    29,
                ],
                &[
                    4103, 99, 222, 86582, 191375, 43369, 377, 464, 91, 419, 1440, 919, 91, 29,
                ],
            ],
        ),
    ];
    for (text, [cl100k, o200k]) in cases {
        assert_eq!(Tiktoken::cl100k_base().encode(text), cl100k, "{text:?}");
        assert_eq!(Tiktoken::o200k_base().encode(text), o200k, "{text:?}");
    }
}

#[test]
fn counting_within_a_limit_agrees_with_counting() {
    for (rel, text, counts) in fixture().iter().step_by(7) {
        for (enc, n) in [
            (Tiktoken::cl100k_base(), counts[0]),
            (Tiktoken::o200k_base(), counts[1]),
        ] {
            assert_eq!(enc.count_within(text, n), Some(n), "{rel}");
            assert_eq!(enc.count_within(text, n + 10), Some(n), "{rel}");
            if n > 0 {
                assert_eq!(enc.count_within(text, n - 1), None, "{rel}");
            }
        }
        let n = Approximate.count(text);
        assert_eq!(Approximate.count_within(text, n), Some(n));
    }
}

#[test]
fn decoding_half_a_character_is_an_error() {
    let enc = Tiktoken::cl100k_base();
    let tokens = enc.encode("🦀");
    assert!(tokens.len() > 1, "the crab takes several byte tokens");
    let err = enc.decode(&tokens[..1]).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    assert!(enc.decode(&[u32::MAX]).is_err());
}

#[test]
fn approximate_counts_stay_within_ten_percent_of_cl100k() {
    let files = fixture();
    let exact: usize = files.iter().map(|f| f.2[0]).sum();
    let approx: usize = files.iter().map(|f| Approximate.count(&f.1)).sum();
    let ratio = approx as f64 / exact as f64;
    let mut errors: Vec<f64> = files
        .iter()
        .filter(|f| f.2[0] > 200)
        .map(|f| (Approximate.count(&f.1) as f64 / f.2[0] as f64 - 1.0).abs())
        .collect();
    errors.sort_by(f64::total_cmp);
    let median = errors[errors.len() / 2];
    println!("approximate/exact = {ratio:.3}, median file error {median:.3}");
    assert!(
        (0.9..=1.1).contains(&ratio),
        "approximate/exact = {ratio:.3}"
    );
    assert!(median < 0.1, "median file error {median:.3}");
    assert_eq!(Approximate.count(""), 0);
    assert!(Approximate.decode(&[1]).is_err());
}

#[test]
fn tokenizers_by_name() {
    for name in ["cl100k_base", "o200k_base", "approximate"] {
        assert_eq!(tokens::by_name(name).unwrap().name(), name);
    }
    let err = tokens::by_name("gpt2").err().unwrap();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
}
