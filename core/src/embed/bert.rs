//! [`Bert`]: a local sentence-transformers BERT model (all-MiniLM-L6-v2 and
//! kin) run with candle on the CPU; behind the `candle` feature.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::Embedder;
use crate::error::{Error, Result};

/// sentence-transformers' `max_seq_length` for the MiniLM models: longer
/// texts are cut, as the Python library cuts them.
const MAX_TOKENS: usize = 256;

/// Mean-pooled, L2-normalised BERT embeddings of a model directory holding
/// `config.json`, `model.safetensors` and `tokenizer.json`.
pub struct Bert {
    model: BertModel,
    tokenizer: Tokenizer,
    id: String,
    dimension: usize,
}

impl std::fmt::Debug for Bert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bert")
            .field("model", &self.id)
            .field("dimension", &self.dimension)
            .finish()
    }
}

impl Bert {
    /// Loads the model in `dir`; its model id is the directory's name.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Bert> {
        let dir = dir.as_ref();
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bert".into());
        let fail = |file: &str, e: &dyn std::fmt::Display| Error::Embed {
            model: id.clone(),
            message: format!("{}: {e}", dir.join(file).display()),
        };
        let read = |file: &str| -> Result<Vec<u8>> {
            let path: PathBuf = dir.join(file);
            std::fs::read(&path).map_err(|e| Error::io(path, e))
        };
        let raw: serde_json::Value =
            serde_json::from_slice(&read("config.json")?).map_err(|e| fail("config.json", &e))?;
        let size = |key: &str, default: u64| {
            raw.get(key).and_then(|v| v.as_u64()).unwrap_or(default) as usize
        };
        let (dimension, positions) = (
            size("hidden_size", 384),
            size("max_position_embeddings", 512),
        );
        let config: Config =
            serde_json::from_value(raw.clone()).map_err(|e| fail("config.json", &e))?;
        let vb = VarBuilder::from_buffered_safetensors(
            read("model.safetensors")?,
            DType::F32,
            &Device::Cpu,
        )
        .map_err(|e| fail("model.safetensors", &e))?;
        let model = BertModel::load(vb, &config).map_err(|e| fail("model.safetensors", &e))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| fail("tokenizer.json", &e))?;
        // The shipped tokenizer pads every text to 128 tokens and cuts there;
        // pad to the batch's longest instead (the mask hides the padding) and
        // cut where sentence-transformers does.
        let pad = tokenizer.get_padding().cloned().unwrap_or_default();
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..pad
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS.min(positions),
                ..TruncationParams::default()
            }))
            .map_err(|e| fail("tokenizer.json", &e))?;
        Ok(Bert {
            model,
            tokenizer,
            id,
            dimension,
        })
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Embed {
            model: self.id.clone(),
            message: e.to_string(),
        }
    }

    fn run(&self, texts: &[&str]) -> candle_core::Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(candle_core::Error::msg)?;
        let rows = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> candle_core::Result<Tensor> {
            let rows: Vec<Tensor> = encodings
                .iter()
                .map(|e| Tensor::new(f(e), &Device::Cpu))
                .collect::<candle_core::Result<_>>()?;
            Tensor::stack(&rows, 0)
        };
        let ids = rows(&|e| e.get_ids())?;
        let types = rows(&|e| e.get_type_ids())?;
        let mask = rows(&|e| e.get_attention_mask())?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        // Mean of the token vectors the mask keeps, as sentence-transformers
        // pools; then unit length.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&norms)?.to_vec2()
    }
}

impl Embedder for Bert {
    fn model(&self) -> &str {
        &self.id
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    /// Small batches: attention costs grow with the longest text in one.
    fn batch_size(&self) -> usize {
        16
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.run(texts).map_err(|e| self.error(e))
    }
}
