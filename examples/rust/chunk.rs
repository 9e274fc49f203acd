//! Chunks a directory the way the RAG platforms do (400 tokens, 60 of
//! overlap, cl100k_base) and prints what it made.
//!
//! cargo run -p infrarag-examples --bin chunk -- examples/terraform/web

use std::ops::ControlFlow;

use infrarag::chunk::{ChunkConfig, Chunker};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/terraform/web".into());
    let chunker = Chunker::new(ChunkConfig::default())?;
    let result = chunker
        .chunk_dir(&dir)
        .on_progress(|p| {
            eprint!("\r{}/{} files", p.done, p.total);
            ControlFlow::Continue(())
        })
        .execute()?;
    eprintln!();
    for chunk in &result.chunks {
        println!(
            "{}:{}-{} {} {} tokens\n    {}",
            chunk.path,
            chunk.start_line,
            chunk.end_line,
            chunk.kind.as_str(),
            chunk.token_count,
            chunk.summary
        );
    }
    for skipped in &result.skipped {
        println!("skipped {}: {}", skipped.path, skipped.reason);
    }
    let tokens: usize = result.chunks.iter().map(|c| c.token_count).sum();
    println!(
        "{} files, {} chunks, {} tokens",
        result.files.len(),
        result.chunks.len(),
        tokens
    );
    Ok(())
}
