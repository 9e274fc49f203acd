//! Loads a Terraform module and prints blocks by type, the reference graph
//! and any diagnostics: `cargo run -p infrarag-examples --bin summary -- DIR`.

use std::collections::BTreeMap;

use infrarag::terraform::Module;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/terraform/web".into());
    let module = match Module::load(&dir) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for d in &module.declarations {
        *by_kind
            .entry(format!("{:?}", d.kind).to_lowercase())
            .or_default() += 1;
    }
    println!(
        "{}: {} files, {} declarations",
        dir,
        module.files.len(),
        module.declarations.len()
    );
    for (kind, n) in &by_kind {
        println!("  {kind:<10} {n}");
    }
    println!("references:");
    for d in &module.declarations {
        let deps = module.dependencies(&d.address);
        if !deps.is_empty() {
            println!("  {} -> {}", d.address, deps.join(", "));
        }
    }
    let diagnostics: Vec<_> = module.diagnostics().collect();
    println!("diagnostics: {}", diagnostics.len());
    for (path, d) in diagnostics {
        println!("  {}:{d}", path.display());
    }
}
