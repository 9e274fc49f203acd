//! A process for the concurrency test in `tests/store_postgres.rs`: opens
//! the index at URL (`postgres://…`), ingests each DIR in turn, searching
//! after each, and prints one line of what it saw.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, dirs @ ..] = &args[..] else {
        eprintln!("usage: index_ingest URL DIR...");
        std::process::exit(2);
    };
    let mut index = infrarag::index::Index::postgres(url).unwrap_or_else(|e| panic!("open: {e}"));
    let mut hits = 0;
    for dir in dirs {
        index
            .add_path(dir)
            .execute()
            .unwrap_or_else(|e| panic!("{dir}: {e}"));
        index.refresh().unwrap_or_else(|e| panic!("refresh: {e}"));
        hits += index
            .search("bucket encryption")
            .k(5)
            .execute()
            .unwrap_or_else(|e| panic!("search: {e}"))
            .len();
    }
    println!("ingested {} directories; {hits} hits", dirs.len());
}
