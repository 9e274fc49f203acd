//! Collects `system` and `ports` from this machine through one service, as a
//! monitoring backend would, and prints a summary and the audit trail:
//! `cargo run -p infrarag-examples --bin monitor`.

use infrarag::collect::{Caller, CollectionService, RecordQuery};

fn main() {
    let service = match CollectionService::builder().build() {
        Ok(s) => s,
        Err(e) => fail(&e),
    };
    let caller = Caller::new("demo", "make demo");
    let system = service
        .collect("localhost", "system", &caller)
        .unwrap_or_else(|e| fail(&e));
    for r in system.records.iter() {
        match r.kind.as_str() {
            "cpu" if r.data["cpu"] == "cpu" => {
                println!(
                    "cpu: {:.1}% busy",
                    r.data["busy_percent"].as_f64().unwrap_or(0.0)
                )
            }
            "memory" => println!(
                "memory: {} of {} MiB available",
                r.data["available_bytes"].as_u64().unwrap_or(0) >> 20,
                r.data["total_bytes"].as_u64().unwrap_or(0) >> 20
            ),
            "load" => println!(
                "load: {} {} {}",
                r.data["load_1m"], r.data["load_5m"], r.data["load_15m"]
            ),
            "filesystem" if r.data["mount_point"] == "/" => println!(
                "/: {}% used of {} GiB",
                r.data["capacity_percent"],
                r.data["size_bytes"].as_u64().unwrap_or(0) >> 30
            ),
            _ => {}
        }
    }
    let ports = service
        .collect("localhost", "ports", &caller)
        .unwrap_or_else(|e| fail(&e));
    println!("listening sockets: {}", ports.records.len());
    for r in ports.records.iter().take(5) {
        println!(
            "  {} {}:{} {}",
            r.data["protocol"].as_str().unwrap_or(""),
            r.data["local_address"].as_str().unwrap_or(""),
            r.data["local_port"],
            r.data["processes"][0]["name"].as_str().unwrap_or("-")
        );
    }
    let cached = service
        .collect("localhost", "system", &caller)
        .unwrap_or_else(|e| fail(&e));
    println!("again: cached = {}", cached.cached);
    println!("audit:");
    for e in service
        .store()
        .audit(&RecordQuery::default())
        .unwrap_or_default()
    {
        println!(
            "  #{} {} {} {} {:?} {} ms, {} records, {} bytes read",
            e.id,
            e.time,
            e.host,
            e.method,
            e.outcome,
            e.duration_ms,
            e.records_written,
            e.bytes_read
        );
    }
}

fn fail(e: &infrarag::Error) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1);
}
