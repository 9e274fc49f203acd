//! The generation loop end to end: index a module, retrieve for a task,
//! build the prompt, generate, validate, correct, printing each event.
//! Without ANTHROPIC_API_KEY / OPENAI_API_KEY it runs on the offline
//! fallback model.
//!
//! cargo run -p infrarag-examples --bin generate -- examples/terraform/web "a bucket for logs"

use std::io::Write;
use std::ops::ControlFlow;

use infrarag::index::Index;
use infrarag::llm;
use infrarag::pipeline::{Event, Generator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "examples/terraform/web".into());
    let task = args.next().unwrap_or_else(|| "a bucket for logs".into());
    let mut index = Index::in_memory();
    let ingested = index.add_path(&dir).execute()?;
    println!("indexed {} chunks from {dir}", ingested.chunks);
    let model = llm::from_env(None)?;
    let generator = Generator::new(model).k(20);
    let started = std::time::Instant::now();
    let out = generator
        .generate(&task)
        .index(&index)
        .on_event(|e| {
            match e {
                Event::Retrieved { citations } => println!("retrieved {}: {}", citations.len(), citations.join(", ")),
                Event::PromptBuilt { tokens, budget, omitted, redactions, .. } => {
                    println!("prompt built: {tokens} of {budget} tokens, {omitted} parts left out, {redactions} secrets redacted")
                }
                Event::Generating { text, .. } => {
                    print!("  | {text}");
                    let _ = std::io::stdout().flush();
                }
                Event::Retrying { attempt, wait_ms, reason, .. } => {
                    println!("retrying (attempt {attempt}) in {wait_ms} ms: {reason}")
                }
                Event::ToolCall { name, input, .. } => println!("tool call {name} {input}"),
                Event::ToolResult { name, is_error, .. } => println!("tool result {name} (error: {is_error})"),
                Event::Validated { round, errors, warnings, problems, .. } => {
                    println!("validated round {round}: {errors} errors, {warnings} warnings");
                    for p in problems.iter().filter(|p| p.severity == infrarag::validate::Severity::Error) {
                        println!("    {}:{}:{} {} {}", p.file, p.line, p.column, p.code, p.message);
                    }
                }
                Event::Correcting { round, errors } => println!("correcting ({errors} errors) in round {round}"),
                Event::Done { outcome, rounds, usage } => println!(
                    "done: {outcome:?} after {rounds} rounds, {} input and {} output tokens",
                    usage.input_tokens, usage.output_tokens
                ),
                Event::Failed { code, message } => println!("failed: {code} {message}"),
                _ => {}
            }
            ControlFlow::Continue(())
        })
        .execute()?;
    println!(
        "{} with {}: {} file(s) in {:.1} ms",
        task,
        out.model,
        out.files.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
