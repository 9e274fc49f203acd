//! Indexes a directory (offline embedder, hybrid search) and answers a
//! question with cited chunks.
//!
//! cargo run -p infrarag-examples --bin search -- examples/terraform/web "bucket for logs"

use std::ops::ControlFlow;

use infrarag::index::Index;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "examples/terraform/web".into());
    let query = args.next().unwrap_or_else(|| "bucket for logs".into());
    let mut index = Index::in_memory();
    let report = index
        .add_path(&dir)
        .on_progress(|p| {
            eprint!("\r{:?} {}/{}", p.stage, p.done, p.total);
            ControlFlow::Continue(())
        })
        .execute()?;
    eprintln!();
    println!(
        "{} files added, {} chunks indexed with {}",
        report.added,
        report.chunks,
        index.model()
    );
    println!("{query:?}:");
    for hit in index.search(&query).k(5).execute()? {
        println!(
            "  {:.4} {} {}",
            hit.score,
            hit.citation(),
            hit.chunk
                .address
                .as_deref()
                .unwrap_or(hit.chunk.kind.as_str())
        );
    }
    Ok(())
}
