//! A small pool of blocking PostgreSQL connections, each with the
//! statement timeout set, over rustls (ring) when the server offers TLS.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::config::Host;
use postgres::{Client, Config, Statement};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{db_error, refused, PostgresOptions};
use crate::error::{Error, Result};

/// The most prepared statements a connection keeps.
const STATEMENTS: usize = 64;

pub(super) struct Pool {
    config: Config,
    tls: MakeRustlsConnect,
    statement_timeout: Duration,
    wait: Duration,
    max: usize,
    state: Mutex<State>,
    returned: Condvar,
}

struct State {
    idle: Vec<Session>,
    open: usize,
}

/// A connection with what it remembers: its prepared statements, so a hot
/// query costs one round trip, not two, and the `hnsw.ef_search` it last
/// set.
struct Session {
    client: Client,
    statements: HashMap<String, Statement>,
    ef_search: Option<usize>,
}

impl Pool {
    pub(super) fn new(options: &PostgresOptions) -> Result<Pool> {
        let mut config: Config = options.url.parse().map_err(|e| Error::InvalidArgument {
            name: "url".into(),
            message: format!("not a PostgreSQL connection string: {e}"),
        })?;
        config.connect_timeout(options.connect_timeout);
        Ok(Pool {
            config,
            tls: tls(options)?,
            statement_timeout: options.statement_timeout,
            wait: options.connect_timeout,
            max: options.max_connections,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        })
    }

    /// `user@host:port/dbname`, never the password, for messages.
    pub(super) fn server(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{}@{host}:{port}/{}",
            self.config.get_user().unwrap_or("?"),
            self.config
                .get_dbname()
                .or(self.config.get_user())
                .unwrap_or("?")
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection: an idle one, a new one while fewer than the maximum
    /// are open, or the next one returned.
    pub(super) fn get(&self) -> Result<Conn<'_>> {
        let deadline = Instant::now() + self.wait;
        let mut state = self.lock();
        loop {
            while let Some(session) = state.idle.pop() {
                if !session.client.is_closed() {
                    return Ok(Conn {
                        pool: self,
                        session: Some(session),
                    });
                }
                state.open -= 1;
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.open() {
                    Ok(client) => Ok(Conn {
                        pool: self,
                        session: Some(Session {
                            client,
                            statements: HashMap::new(),
                            ef_search: None,
                        }),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(refused(format!(
                    "all {} connections to {} stayed busy for {:?}",
                    self.max,
                    self.server(),
                    self.wait
                )));
            }
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn open(&self) -> Result<Client> {
        let mut client = self
            .config
            .connect(self.tls.clone())
            .map_err(|e| db_error(&format!("cannot connect to {}", self.server()), &e))?;
        // A filtered vector search walks on until enough rows pass, rather
        // than returning fewer (pgvector 0.8; an unfiltered one is as
        // before).
        client
            .batch_execute(&format!(
                "SET statement_timeout = {}; SET hnsw.iterative_scan = relaxed_order",
                self.statement_timeout.as_millis()
            ))
            .map_err(|e| db_error("setting up the connection", &e))?;
        Ok(client)
    }
}

/// A pooled connection, returned when dropped.
pub(super) struct Conn<'a> {
    pool: &'a Pool,
    session: Option<Session>,
}

impl Conn<'_> {
    fn session(&mut self) -> &mut Session {
        self.session.as_mut().expect("held until dropped")
    }

    /// `sql` prepared on this connection, once. A search writes its number
    /// of candidates into its text, so a caller that varies `k` widely
    /// makes many; past [`STATEMENTS`] they are all closed and prepared
    /// again as asked.
    pub(super) fn statement(
        &mut self,
        sql: &str,
    ) -> std::result::Result<Statement, postgres::Error> {
        let session = self.session();
        if let Some(statement) = session.statements.get(sql) {
            return Ok(statement.clone());
        }
        if session.statements.len() >= STATEMENTS {
            session.statements.clear();
        }
        let statement = session.client.prepare(sql)?;
        session
            .statements
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Sets `hnsw.ef_search` for this connection's next searches, unless
    /// it is set so already.
    pub(super) fn ef_search(&mut self, ef: usize) -> std::result::Result<(), postgres::Error> {
        let session = self.session();
        if session.ef_search != Some(ef) {
            session
                .client
                .batch_execute(&format!("SET hnsw.ef_search = {ef}"))?;
            session.ef_search = Some(ef);
        }
        Ok(())
    }
}

impl Deref for Conn<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.session.as_ref().expect("held until dropped").client
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.session().client
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let mut state = self.pool.lock();
        if session.client.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(session);
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}

/// rustls on ring, trusting webpki's roots and the caller's CA file.
fn tls(options: &PostgresOptions) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &options.ca_file {
        let bad = |message: String| Error::InvalidArgument {
            name: "ca_file".into(),
            message: format!("{}: {message}", path.display()),
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("holds no PEM certificate".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
