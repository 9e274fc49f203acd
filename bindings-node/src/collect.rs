//! `collect`: one collection service for a process, with JS functions as
//! custom methods; collections run on the libuv pool.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::collect::{
    ssh_config, Args, Caller, CollectionService as CoreService, Command, CommandCollector,
    HostSpec, Output, Record, RecordQuery, System,
};
use infrarag::http::seconds;

use crate::convert::{json, Json};
use crate::error::{counted, invalid, js_error, thrown, Code};
use crate::js_store::{Bound, JsRecordStore, Returned};
use crate::task::{job, Job};

/// A method of your own: `commands` (each an argv array, never a shell
/// line) run in order and must exit 0; `parse` gets their outputs
/// (`{ status, stdout, stderr }`) and returns the records
/// (`{ kind, data }`). What it throws becomes OUTPUT_ERROR.
#[napi(object, namespace = "collect")]
pub struct CollectorOptions {
    pub name: String,
    pub commands: Vec<Vec<String>>,
    #[napi(
        ts_type = "(outputs: Array<{ status: number | null, stdout: string, stderr: string }>) => Array<{ kind: string, data: any }>"
    )]
    pub parse: Function<'static, Value, Returned>,
}

/// How to reach a host over SSH; only `hostname` is required. Host keys
/// are checked against `knownHosts` (default `~/.ssh/known_hosts`) or the
/// one pinned `hostKey` (`"ssh-ed25519 AAAA..."`); `trustOnFirstUse`
/// records an unknown host's key instead of refusing it (a changed key is
/// always refused). Keys: `identityFiles` in order (default
/// `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` where they exist), then the
/// agent's (`agent`: true for `SSH_AUTH_SOCK`, the default when set; false;
/// or a socket path).
#[napi(object, namespace = "collect")]
pub struct SshHost {
    pub hostname: String,
    /// Default 22.
    pub port: Option<u32>,
    /// Default: the local user.
    pub user: Option<String>,
    pub identity_files: Option<Vec<String>>,
    /// Decrypts encrypted key files.
    pub passphrase: Option<String>,
    #[napi(ts_type = "boolean | string")]
    pub agent: Option<Value>,
    pub known_hosts: Option<String>,
    pub host_key: Option<String>,
    pub trust_on_first_use: Option<bool>,
    /// The host to connect through: options, or a name in the SSH config.
    #[napi(ts_type = "string | SshHost")]
    pub jump: Option<Value>,
    /// Seconds a connection may take (default 10).
    pub connect_timeout: Option<f64>,
    /// Seconds between keepalive probes (default 15; 0: none).
    pub keepalive: Option<f64>,
    /// Commands run at once on the connection (default 8).
    pub max_channels: Option<u32>,
}

/// How the service runs; unset fields keep the core's defaults.
#[napi(object, namespace = "collect")]
pub struct CollectionServiceOptions {
    /// Hosts besides `localhost`: each name maps to SSH options, to a name
    /// the OpenSSH config resolves (HostName, User, Port, IdentityFile,
    /// ProxyJump, UserKnownHostsFile, StrictHostKeyChecking), or to
    /// `"local"`. Nothing connects until a host's first collection.
    #[napi(ts_type = "Record<string, string | SshHost>")]
    pub hosts: Option<HashMap<String, Value>>,
    /// The OpenSSH config names resolve in (default `~/.ssh/config`).
    pub ssh_config: Option<String>,
    pub collectors: Option<Vec<CollectorOptions>>,
    /// Seconds each method's records are served from the cache (defaults:
    /// `system` and `containers` 15, `ports` 60, `drives` and `zfs` 300,
    /// others 30; 0: never cached).
    pub ttl: Option<HashMap<String, f64>>,
    /// Collections running at once on one host (default 4).
    pub max_per_host: Option<f64>,
    /// Collections running at once in all (default 64).
    pub max_total: Option<f64>,
    /// Retries of a transport failure (default 2).
    pub retries: Option<f64>,
    /// Seconds before the first retry, doubling after (default 0.5).
    pub backoff: Option<f64>,
    /// Seconds between the two CPU samples of `system` (default 1).
    pub system_interval: Option<f64>,
    /// A file for the audit trail and records, each entry with its records
    /// in one transaction, locked while open; a `postgres://` URL for
    /// PostgreSQL, shared by every service that opens it (audit ids from a
    /// sequence, so they never collide); or an object of your own with
    /// `append({ entry, records })` (both or neither stored), `audit(query)`,
    /// `records(query)` and `prune(beforeMs)` (a query is `{ host, method,
    /// since_ms, until_ms }`, each null or a bound), each returning its
    /// result, not a Promise; in memory without it.
    #[napi(ts_type = "string | RecordStore")]
    pub store: Option<Either<String, Object<'static>>>,
}

/// Who asks and why, for the audit trail; and the method's arguments
/// (`logs`: `source`, `unit`, `identifier`, `priority`, `cursor`,
/// `lines`, `since`, `container`).
#[napi(object, namespace = "collect")]
pub struct CollectOptions {
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub args: Option<HashMap<String, String>>,
}

/// Filters of `audit` and `records`.
#[napi(object, namespace = "collect")]
pub struct QueryOptions {
    pub host: Option<String>,
    pub method: Option<String>,
    /// Milliseconds since the epoch, inclusive.
    pub since_ms: Option<f64>,
    /// Milliseconds since the epoch, exclusive.
    pub until_ms: Option<f64>,
}

fn js_parse(
    function: Bound,
) -> impl Fn(&[Output]) -> std::result::Result<Vec<Record>, String> + Send + Sync {
    move |outputs: &[Output]| {
        let given: Vec<Value> = outputs
            .iter()
            .map(|o| serde_json::json!({"status": o.status, "stdout": o.text(), "stderr": o.error_text()}))
            .collect();
        let returned = function
            .call_value(Value::Array(given))
            .map_err(|e| e.reason.clone())?;
        serde_json::from_value(returned)
            .map_err(|e| format!("parse returns an array of {{ kind, data }}: {e}"))
    }
}

/// Serves collections from `localhost` and the SSH `hosts` given (one
/// connection per host, reused by concurrent commands): a cache per
/// method, one run shared by identical concurrent calls, limits per host
/// and in total, retries of transport failures, and every call audited.
/// Failures reject with TRANSPORT_ERROR, HOST_KEY_ERROR (`fingerprint`),
/// AUTH_ERROR, COMMAND_ERROR (`command`, `status`, `stderr`),
/// COMMAND_TIMEOUT (`after`) or OUTPUT_ERROR (`line`), each naming `host`
/// and `method`.
#[napi(namespace = "collect")]
pub struct CollectionService {
    inner: CoreService,
    /// Methods whose parse is a JS function: a sync call could not run it.
    js_methods: Arc<HashSet<String>>,
}

fn query(q: Option<QueryOptions>) -> RecordQuery {
    let q = q.unwrap_or(QueryOptions {
        host: None,
        method: None,
        since_ms: None,
        until_ms: None,
    });
    RecordQuery {
        host: q.host,
        method: q.method,
        since_ms: q.since_ms.map(|v| v.max(0.0) as u64),
        until_ms: q.until_ms.map(|v| v.max(0.0) as u64),
    }
}

fn caller(c: Option<CollectOptions>) -> (Caller, Args) {
    match c {
        Some(c) => (
            Caller::new(c.actor.unwrap_or_default(), c.reason.unwrap_or_default()),
            c.args.unwrap_or_default().into_iter().collect(),
        ),
        None => (Caller::default(), Args::new()),
    }
}

impl CollectionService {
    /// The core service, for the scheduler's collection jobs.
    pub(crate) fn service(&self) -> &CoreService {
        &self.inner
    }
}

#[napi(namespace = "collect")]
impl CollectionService {
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<CollectionServiceOptions>) -> Result<Self> {
        let mut js_methods = HashSet::new();
        let mut b = CoreService::builder();
        if let Some(mut o) = options {
            let settings = (|| -> std::result::Result<_, napi::Error<Code>> {
                let secs = |name: &str, v: f64| seconds(name, v).map_err(js_error);
                let hosts = o.hosts.take().unwrap_or_default();
                if !hosts.is_empty() {
                    let config =
                        ssh_config(o.ssh_config.take().map(Into::into)).map_err(js_error)?;
                    let mut hosts: Vec<_> = hosts.into_iter().collect();
                    hosts.sort_by(|a, b| a.0.cmp(&b.0));
                    for (name, spec) in hosts {
                        let spec = HostSpec::from_value(&name, spec).map_err(js_error)?;
                        b = b.host(
                            name.clone(),
                            spec.transport(&name, &config).map_err(js_error)?,
                        );
                    }
                }
                if let Some(n) = counted("maxPerHost", o.max_per_host)? {
                    b = b.max_per_host(n);
                }
                if let Some(n) = counted("maxTotal", o.max_total)? {
                    b = b.max_total(n);
                }
                if o.retries.is_some() || o.backoff.is_some() {
                    let n = counted("retries", o.retries)?.unwrap_or(2);
                    b = b.retries(
                        n.min(u32::MAX as usize) as u32,
                        secs("backoff", o.backoff.unwrap_or(0.5))?,
                    );
                }
                match &o.store {
                    Some(Either::A(location)) => {
                        b = b
                            .store(infrarag::collect::record_store_at(location).map_err(js_error)?);
                    }
                    Some(Either::B(object)) => {
                        let store = JsRecordStore::new(&env, object)
                            .map_err(|e| invalid("store", e.reason.clone()))?;
                        b = b.store(Arc::new(store));
                    }
                    None => {}
                }
                if let Some(s) = o.system_interval {
                    b = b.method(
                        Arc::new(System {
                            interval: secs("systemInterval", s)?,
                        }),
                        None,
                    );
                }
                for (method, t) in o.ttl.unwrap_or_default() {
                    b = b.ttl(method, secs("ttl", t)?);
                }
                Ok(b)
            })();
            b = settings.map_err(|e| crate::error::coded(&env, e))?;
            for c in o.collectors.unwrap_or_default() {
                let parse = Bound::function(c.name.clone(), &c.parse)?;
                js_methods.insert(c.name.clone());
                let commands = c.commands.into_iter().map(Command::new).collect();
                b = b.method(
                    Arc::new(CommandCollector::new(c.name, commands, js_parse(parse))),
                    None,
                );
            }
        }
        thrown(&env, || {
            Ok(CollectionService {
                inner: b.build().map_err(js_error)?,
                js_methods: Arc::new(js_methods),
            })
        })
    }

    /// The hosts served.
    #[napi(getter)]
    pub fn hosts(&self) -> Vec<String> {
        self.inner.hosts()
    }

    /// The methods served.
    #[napi(getter)]
    pub fn methods(&self) -> Vec<String> {
        self.inner.methods()
    }

    /// The records of `method` on `host`, off the main thread: from the
    /// cache while fresh, else collected, or shared with the identical
    /// collection already running.
    #[napi(ts_return_type = "Promise<Collection>")]
    pub fn collect(
        &self,
        host: String,
        method: String,
        options: Option<CollectOptions>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Json>> {
        let service = self.inner.clone();
        let (who, args) = caller(options);
        job(signal, None, move || {
            service
                .collect_with(&host, &method, &args, &who)
                .map(|c| Json(json(&c)))
                .map_err(js_error)
        })
    }

    /// `collect`, blocking the calling thread; refused for a method whose
    /// parse is a JS function, which needs this thread.
    #[napi(ts_return_type = "Collection")]
    pub fn collect_sync(
        &self,
        env: Env,
        host: String,
        method: String,
        options: Option<CollectOptions>,
    ) -> Result<Value> {
        thrown(&env, || {
            if self.js_methods.contains(&method) {
                return Err(invalid(
                    "method",
                    format!("{method:?} parses with a JS function: use collect, which leaves this thread free to run it"),
                ));
            }
            let (who, args) = caller(options);
            self.inner
                .collect_with(&host, &method, &args, &who)
                .map(|c| json(&c))
                .map_err(js_error)
        })
    }

    /// Every call to `collect` matching the filters, oldest first.
    #[napi(ts_return_type = "Array<AuditEntry>")]
    pub fn audit(&self, env: Env, filter: Option<QueryOptions>) -> Result<Value> {
        thrown(&env, || {
            self.inner
                .store()
                .audit(&query(filter))
                .map(|v| json(&v))
                .map_err(js_error)
        })
    }

    /// Stored records matching the filters, oldest first.
    #[napi(ts_return_type = "Array<StoredRecord>")]
    pub fn records(&self, env: Env, filter: Option<QueryOptions>) -> Result<Value> {
        thrown(&env, || {
            self.inner
                .store()
                .records(&query(filter))
                .map(|v| json(&v))
                .map_err(js_error)
        })
    }

    /// The records of the latest collection of `method` on `host`.
    #[napi(ts_return_type = "Array<StoredRecord>")]
    pub fn latest(&self, env: Env, host: String, method: String) -> Result<Value> {
        thrown(&env, || {
            self.inner
                .store()
                .latest(&host, &method)
                .map(|v| json(&v))
                .map_err(js_error)
        })
    }

    /// Forgets audit entries and records older than `beforeMs`; returns
    /// how many entries went.
    #[napi]
    pub fn prune(&self, env: Env, before_ms: f64) -> Result<u32> {
        thrown(&env, || {
            let n = self
                .inner
                .store()
                .prune(before_ms.max(0.0) as u64)
                .map_err(js_error)?;
            Ok(n as u32)
        })
    }
}

/// Records from the output of one command run elsewhere: `kind` is
/// `proc_stat`, `meminfo`, `loadavg`, `uptime`, `df` (`df -PT -B1`),
/// `diskstats`, `net_dev`, `ss` (`ss -tulpn`), `smartctl`
/// (`smartctl -j -a`), `journal` (`journalctl -o json`), `zpool_status`
/// (`zpool status -v`), `zpool_status_json`, `zfs_list_json`,
/// `docker_inspect` or `nginx_site` (one site file). Throws
/// OUTPUT_ERROR with the `line` that does not
/// parse.
#[napi(namespace = "collect", ts_return_type = "Array<CollectedRecord>")]
pub fn parse(env: Env, kind: String, text: String) -> Result<Value> {
    thrown(&env, || {
        infrarag::collect::parse(&kind, &text)
            .map(|r| json(&r))
            .map_err(js_error)
    })
}
