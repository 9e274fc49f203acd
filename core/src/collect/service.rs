//! [`CollectionService`]: collections served from a cache, one run shared by
//! identical concurrent calls, limits per host and in total, retries of
//! transport failures, and every call in the audit trail.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::store::{AuditEntry, MemoryRecordStore, Outcome, RecordStore};
use super::transport::{Failure, Local, Transport};
use super::{
    lock, millis, utc, Args, CollectError, Collector, Command, Containers, Drives, Logs, Ports,
    Problem, Proxy, Record, System, Zfs,
};
use crate::error::{Error, Result};

/// Who is asking, and why: both go in the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// A user, a job, an MCP client.
    pub actor: String,
    /// Why they ask.
    pub reason: String,
}

impl Caller {
    /// `actor` asking for `reason`.
    pub fn new(actor: impl Into<String>, reason: impl Into<String>) -> Caller {
        Caller {
            actor: actor.into(),
            reason: reason.into(),
        }
    }
}

/// What a call to `collect` gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collection {
    /// The host.
    pub host: String,
    /// The method.
    pub method: String,
    /// The records, as the method's collector made them; shared with the
    /// cache and with concurrent callers, never copied.
    pub records: Arc<[Record]>,
    /// When the records were taken, RFC 3339 UTC.
    pub taken_at: String,
    /// The same instant, milliseconds since the Unix epoch.
    pub taken_at_ms: u64,
    /// Milliseconds the collection took (0 for a cache hit).
    pub duration_ms: u64,
    /// Whether it came from the cache.
    pub cached: bool,
    /// The audit entry of this call.
    pub audit_id: u64,
}

struct Method {
    collector: Arc<dyn Collector>,
    ttl: Duration,
}

struct Host {
    transport: Arc<dyn Transport>,
    permits: Arc<Permits>,
}

/// A counting semaphore.
struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn new(n: usize) -> Arc<Permits> {
        Arc::new(Permits {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        })
    }

    fn acquire(self: &Arc<Self>) -> Permit {
        let mut free = lock(&self.free);
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Permit(self.clone())
    }
}

struct Permit(Arc<Permits>);

impl Drop for Permit {
    fn drop(&mut self) {
        *lock(&self.0.free) += 1;
        self.0.freed.notify_one();
    }
}

/// A host, a method and its arguments: what one cache entry and one
/// shared run are for.
type Key = (String, String, Args);

/// A collection in progress that identical calls wait for.
#[derive(Default)]
struct Flight {
    done: Mutex<Option<std::result::Result<Collection, CollectError>>>,
    finished: Condvar,
}

/// Configures a [`CollectionService`]; finish with [`build`](Self::build).
pub struct CollectionServiceBuilder {
    hosts: Vec<(String, Arc<dyn Transport>, Option<usize>)>,
    methods: Vec<(Arc<dyn Collector>, Option<Duration>)>,
    ttls: HashMap<String, Duration>,
    per_host: usize,
    total: usize,
    retries: u32,
    backoff: Duration,
    store: Option<Arc<dyn RecordStore>>,
}

impl CollectionServiceBuilder {
    /// Serves `name` through `transport`, in place of a host already
    /// named so (`localhost` included).
    pub fn host(mut self, name: impl Into<String>, transport: Arc<dyn Transport>) -> Self {
        let name = name.into();
        self.hosts.retain(|(n, _, _)| *n != name);
        self.hosts.push((name, transport, None));
        self
    }

    /// Serves `name` through `transport`, with at most `limit` collections
    /// running on it at once.
    pub fn host_with_limit(
        mut self,
        name: impl Into<String>,
        transport: Arc<dyn Transport>,
        limit: usize,
    ) -> Self {
        let name = name.into();
        self.hosts.retain(|(n, _, _)| *n != name);
        self.hosts.push((name, transport, Some(limit)));
        self
    }

    /// Adds (or replaces) a method, cached for `ttl` (`None`: the default).
    pub fn method(mut self, collector: Arc<dyn Collector>, ttl: Option<Duration>) -> Self {
        self.methods.push((collector, ttl));
        self
    }

    /// How long a method's records are served from the cache (defaults:
    /// `system` and `containers` 15 s, `ports` 60 s, `drives` and `zfs` 300 s,
    /// `logs` 0, others 30 s; zero: never cached).
    pub fn ttl(mut self, method: impl Into<String>, ttl: Duration) -> Self {
        self.ttls.insert(method.into(), ttl);
        self
    }

    /// Collections running at once on one host (default 4).
    pub fn max_per_host(mut self, n: usize) -> Self {
        self.per_host = n;
        self
    }

    /// Collections running at once in all (default 64).
    pub fn max_total(mut self, n: usize) -> Self {
        self.total = n;
        self
    }

    /// Retries of a collection whose transport failed (default 2), the
    /// first after `backoff`, each next after twice as long (default 0.5 s).
    /// A command's own failure and output that does not parse are never
    /// retried.
    pub fn retries(mut self, n: u32, backoff: Duration) -> Self {
        self.retries = n;
        self.backoff = backoff;
        self
    }

    /// Where the audit trail and records go (default: in memory).
    pub fn store(mut self, store: Arc<dyn RecordStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The service; fails when a host is named nothing.
    pub fn build(self) -> Result<CollectionService> {
        let invalid = |name: &str, message: String| Error::InvalidArgument {
            name: name.into(),
            message,
        };
        let mut hosts = HashMap::new();
        for (name, transport, limit) in self.hosts {
            if name.is_empty() {
                return Err(invalid("host", "a host has an empty name".into()));
            }
            let permits = Permits::new(limit.unwrap_or(self.per_host));
            hosts.insert(name, Host { transport, permits });
        }
        let mut methods = HashMap::new();
        let builtin: [Arc<dyn Collector>; 7] = [
            Arc::new(System::default()),
            Arc::new(Ports),
            Arc::new(Drives),
            Arc::new(Containers),
            Arc::new(Zfs),
            Arc::new(Proxy::default()),
            Arc::new(Logs),
        ];
        for collector in builtin {
            methods.insert(collector.name().to_string(), (collector, None));
        }
        for (collector, ttl) in self.methods {
            methods.insert(collector.name().to_string(), (collector, ttl));
        }
        let default_ttl = |name: &str| match name {
            "system" => Duration::from_secs(15),
            "ports" => Duration::from_secs(60),
            "drives" | "zfs" => Duration::from_secs(300),
            "containers" => Duration::from_secs(15),
            // Each poll asks for what is new since its cursor.
            "logs" => Duration::ZERO,
            _ => Duration::from_secs(30),
        };
        let methods = methods
            .into_iter()
            .map(|(name, (collector, ttl))| {
                let ttl = self
                    .ttls
                    .get(&name)
                    .copied()
                    .or(ttl)
                    .unwrap_or_else(|| default_ttl(&name));
                (name, Method { collector, ttl })
            })
            .collect();
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryRecordStore::new()));
        let last_id = store.last_id()?;
        Ok(CollectionService {
            inner: Arc::new(Inner {
                hosts,
                methods,
                total: Permits::new(self.total),
                retries: self.retries,
                backoff: self.backoff,
                store,
                cache: Mutex::new(HashMap::new()),
                flights: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(last_id),
            }),
        })
    }
}

struct Inner {
    hosts: HashMap<String, Host>,
    methods: HashMap<String, Method>,
    total: Arc<Permits>,
    retries: u32,
    backoff: Duration,
    store: Arc<dyn RecordStore>,
    cache: Mutex<HashMap<Key, Collection>>,
    flights: Mutex<HashMap<Key, Arc<Flight>>>,
    next_id: AtomicU64,
}

/// One collection service shared by every caller in a process (a REST
/// route, an MCP tool, a scheduled job): cheap to clone, safe to call from
/// any thread.
#[derive(Clone)]
pub struct CollectionService {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CollectionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.inner.hosts.keys().collect();
        hosts.sort();
        f.debug_struct("CollectionService")
            .field("hosts", &hosts)
            .field("methods", &self.methods())
            .finish()
    }
}

impl CollectionService {
    /// A service with `localhost` (the [`Local`] transport) and the built-in
    /// methods; add hosts and methods on the builder.
    pub fn builder() -> CollectionServiceBuilder {
        CollectionServiceBuilder {
            hosts: vec![("localhost".into(), Arc::new(Local), None)],
            methods: Vec::new(),
            ttls: HashMap::new(),
            per_host: 4,
            total: 64,
            retries: 2,
            backoff: Duration::from_millis(500),
            store: None,
        }
    }

    /// The methods served, sorted.
    pub fn methods(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.methods.keys().cloned().collect();
        names.sort();
        names
    }

    /// The hosts served, sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.hosts.keys().cloned().collect();
        names.sort();
        names
    }

    /// The audit trail and records.
    pub fn store(&self) -> &Arc<dyn RecordStore> {
        &self.inner.store
    }

    /// The host and method named, or which ones there are; and whether
    /// the method takes `args`.
    fn lookup(&self, host: &str, method: &str, args: &Args) -> Result<(&Host, &Method)> {
        let inner = &self.inner;
        match (inner.hosts.get(host), inner.methods.get(method)) {
            (Some(h), Some(m)) => match m.collector.check(args) {
                Ok(()) => Ok((h, m)),
                Err(message) => Err(Error::InvalidArgument {
                    name: "args".into(),
                    message: format!("{method}: {message}"),
                }),
            },
            (h, _) => {
                let (name, given, known) = match h {
                    None => ("host", host, self.hosts()),
                    Some(_) => ("method", method, self.methods()),
                };
                Err(Error::InvalidArgument {
                    name: name.into(),
                    message: format!("{given:?} is not one of {}", known.join(", ")),
                })
            }
        }
    }

    /// A new audit entry for a call beginning now, its id from the store
    /// when the store hands them out.
    fn entry(&self, host: &str, method: &str, caller: &Caller) -> Result<AuditEntry> {
        let id = match self.inner.store.next_id()? {
            Some(id) => id,
            None => self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1,
        };
        let started = SystemTime::now();
        Ok(AuditEntry {
            id,
            time: utc(started),
            time_ms: millis(started),
            actor: caller.actor.clone(),
            reason: caller.reason.clone(),
            host: host.to_string(),
            method: method.to_string(),
            commands: Vec::new(),
            duration_ms: 0,
            outcome: Outcome::Cached,
            error: None,
            bytes_read: 0,
            records_written: 0,
        })
    }

    /// [`collect`](Self::collect) when the cache can answer: `Some` (and
    /// audited) when it did, `None` (nothing audited) when a collection
    /// must run. For callers that run collections elsewhere (a worker
    /// thread) and want a cache hit answered where they are.
    pub fn cached(&self, host: &str, method: &str, caller: &Caller) -> Option<Result<Collection>> {
        self.cached_with(host, method, &Args::new(), caller)
    }

    /// [`cached`](Self::cached) with the method's arguments.
    pub fn cached_with(
        &self,
        host: &str,
        method: &str,
        args: &Args,
        caller: &Caller,
    ) -> Option<Result<Collection>> {
        let (_, m) = match self.lookup(host, method, args) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        let hit = self.fresh(&(host.to_string(), method.to_string(), args.clone()), m.ttl)?;
        let entry = match self.entry(host, method, caller) {
            Ok(entry) => entry,
            Err(e) => return Some(Err(e)),
        };
        Some(self.inner.store.append(&entry, &[]).map(|()| Collection {
            cached: true,
            duration_ms: 0,
            audit_id: entry.id,
            ..hit
        }))
    }

    /// The records of `method` on `host`: from the cache while fresh, else
    /// collected (or shared with an identical collection already running).
    /// Every call is audited, failures included.
    pub fn collect(&self, host: &str, method: &str, caller: &Caller) -> Result<Collection> {
        self.collect_with(host, method, &Args::new(), caller)
    }

    /// [`collect`](Self::collect) with the method's arguments (`logs`:
    /// `unit`, `cursor`, ...); the cache and shared runs are per
    /// arguments. Arguments the method does not take are an
    /// `InvalidArgument`, before anything runs or is audited.
    pub fn collect_with(
        &self,
        host: &str,
        method: &str,
        args: &Args,
        caller: &Caller,
    ) -> Result<Collection> {
        let inner = &self.inner;
        let clock = Instant::now();
        let (h, m) = self.lookup(host, method, args)?;
        let key: Key = (host.to_string(), method.to_string(), args.clone());
        let mut entry = self.entry(host, method, caller)?;
        if let Some(hit) = self.fresh(&key, m.ttl) {
            inner.store.append(&entry, &[])?;
            return Ok(Collection {
                cached: true,
                duration_ms: 0,
                audit_id: entry.id,
                ..hit
            });
        }
        let (flight, leader) = {
            let mut flights = lock(&inner.flights);
            match flights.get(&key) {
                Some(f) => (f.clone(), false),
                None => {
                    let f = Arc::new(Flight::default());
                    flights.insert(key.clone(), f.clone());
                    (f, true)
                }
            }
        };
        let result = if leader {
            let result = self.run(h, m, host, method, args, &mut entry);
            lock(&inner.flights).remove(&key);
            if let Ok(c) = &result {
                if !m.ttl.is_zero() {
                    lock(&inner.cache).insert(key, c.clone());
                }
            }
            *lock(&flight.done) = Some(result.clone());
            flight.finished.notify_all();
            result
        } else {
            let mut done = lock(&flight.done);
            while done.is_none() {
                done = flight
                    .finished
                    .wait(done)
                    .unwrap_or_else(|p| p.into_inner());
            }
            entry.outcome = Outcome::Shared;
            done.clone()
                .unwrap_or_else(|| unreachable_flight(host, method))
        };
        entry.duration_ms = clock.elapsed().as_millis() as u64;
        match result {
            Ok(collection) => {
                let records: &[Record] = if leader { &collection.records } else { &[] };
                entry.records_written = records.len();
                inner.store.append(&entry, records)?;
                Ok(Collection {
                    duration_ms: entry.duration_ms,
                    audit_id: entry.id,
                    ..collection
                })
            }
            Err(e) => {
                let error = Error::Collect(Box::new(e));
                entry.outcome = Outcome::Failed;
                entry.error = Some(format!("{}: {error}", error.code()));
                inner.store.append(&entry, &[])?;
                Err(error)
            }
        }
    }

    fn fresh(&self, key: &Key, ttl: Duration) -> Option<Collection> {
        let cache = lock(&self.inner.cache);
        let hit = cache.get(key)?;
        let age = millis(SystemTime::now()).saturating_sub(hit.taken_at_ms);
        (Duration::from_millis(age) < ttl).then(|| hit.clone())
    }

    /// Runs the method under the limits, retrying transport failures.
    fn run(
        &self,
        h: &Host,
        m: &Method,
        host: &str,
        method: &str,
        args: &Args,
        entry: &mut AuditEntry,
    ) -> std::result::Result<Collection, CollectError> {
        let inner = &self.inner;
        let _total = inner.total.acquire();
        let _host = h.permits.acquire();
        let mut attempt = 0;
        loop {
            let taken = SystemTime::now();
            let clock = Instant::now();
            let mut commands = Vec::new();
            let mut bytes = 0u64;
            let outcome = m.collector.collect_with(args, &mut |command: &Command| {
                commands.push(command.line());
                match h.transport.run(command) {
                    Ok(output) => {
                        bytes += (output.stdout.len() + output.stderr.len()) as u64;
                        Ok(output)
                    }
                    Err(Failure::Transport(message)) => Err(Problem::Transport(message)),
                    Err(Failure::HostKey {
                        fingerprint,
                        message,
                    }) => Err(Problem::HostKey {
                        fingerprint,
                        message,
                    }),
                    Err(Failure::Auth(message)) => Err(Problem::Auth(message)),
                    Err(Failure::TimedOut(after)) => Err(Problem::TimedOut {
                        command: command.line(),
                        after,
                    }),
                    Err(Failure::NotStarted(message)) => Err(Problem::Command {
                        command: command.line(),
                        status: None,
                        stderr: message,
                    }),
                }
            });
            entry.commands.extend(commands);
            entry.bytes_read += bytes;
            match outcome {
                Ok(records) => {
                    entry.outcome = Outcome::Collected;
                    return Ok(Collection {
                        host: host.to_string(),
                        method: method.to_string(),
                        records: records.into(),
                        taken_at: utc(taken),
                        taken_at_ms: millis(taken),
                        duration_ms: clock.elapsed().as_millis() as u64,
                        cached: false,
                        audit_id: entry.id,
                    });
                }
                Err(Problem::Transport(_)) if attempt < inner.retries => {
                    std::thread::sleep(inner.backoff.saturating_mul(1 << attempt.min(16)));
                    attempt += 1;
                }
                Err(problem) => {
                    return Err(CollectError {
                        host: host.to_string(),
                        method: method.to_string(),
                        problem,
                    })
                }
            }
        }
    }
}

/// A flight is always finished before it is read; this names the
/// impossible case instead of panicking.
fn unreachable_flight(host: &str, method: &str) -> std::result::Result<Collection, CollectError> {
    Err(CollectError {
        host: host.into(),
        method: method.into(),
        problem: Problem::Transport("the shared collection ended without a result".into()),
    })
}
