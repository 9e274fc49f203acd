//! Jobs on intervals (with jitter) or cron expressions: a [`Scheduler`]
//! running collections or any callback, skipping a run still going when
//! the next is due, and shutting down within a timeout.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::cron::CronSchedule;
use super::service::{Caller, CollectionService};
use super::{lock, millis, utc};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};

/// Where a scheduler reads the time: the system clock, or a
/// [`ManualClock`] that a test moves.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told: drive a scheduler with
/// [`Scheduler::tick`] after each move.
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    /// Sets the time.
    pub fn set(&self, t: SystemTime) {
        *lock(&self.0) = t;
    }

    /// Moves the time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut t = lock(&self.0);
        *t += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *lock(&self.0)
    }
}

/// When a job fires.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// Every `every` from when the job was added, each fire moved later
    /// by up to `jitter` (the same job and fire always by the same amount;
    /// at most the interval), so that many jobs on one interval do not
    /// fire at once while each still fires once an interval.
    Every {
        /// The interval.
        every: Duration,
        /// The most a fire is moved.
        jitter: Duration,
    },
    /// At the times of a cron expression.
    Cron(Box<CronSchedule>),
}

impl Trigger {
    /// Every `every`, without jitter.
    pub fn every(every: Duration) -> Trigger {
        Trigger::Every {
            every,
            jitter: Duration::ZERO,
        }
    }

    /// This interval with up to `jitter` added to each fire (no effect on
    /// a cron trigger).
    pub fn with_jitter(self, jitter: Duration) -> Trigger {
        match self {
            Trigger::Every { every, .. } => Trigger::Every { every, jitter },
            cron => cron,
        }
    }

    /// At the times of `expression` in time zone `tz` (see
    /// [`CronSchedule`]).
    pub fn cron(expression: &str, tz: &str) -> Result<Trigger> {
        Ok(Trigger::Cron(Box::new(CronSchedule::parse(
            expression, tz,
        )?)))
    }

    /// The trigger the bindings' options describe: `every` seconds (with
    /// up to `jitter` more), or a `cron` expression in `tz` (UTC by
    /// default); exactly one of `every` and `cron`.
    pub fn from_options(
        every: Option<f64>,
        jitter: Option<f64>,
        cron: Option<&str>,
        tz: Option<&str>,
    ) -> Result<Trigger> {
        let invalid = |message: &str| Error::InvalidArgument {
            name: "trigger".into(),
            message: message.into(),
        };
        match (every, cron) {
            (Some(every), None) => {
                if tz.is_some() {
                    return Err(invalid(
                        "a time zone is for a cron expression, not an interval",
                    ));
                }
                let jitter = crate::http::seconds("jitter", jitter.unwrap_or(0.0))?;
                Ok(Trigger::every(crate::http::seconds("every", every)?).with_jitter(jitter))
            }
            (None, Some(cron)) => {
                if jitter.is_some() {
                    return Err(invalid("jitter is for an interval, not a cron expression"));
                }
                Trigger::cron(cron, tz.unwrap_or("UTC"))
            }
            _ => Err(invalid(
                "give either `every` (seconds) or `cron`, not both or neither",
            )),
        }
    }

    /// The first fire strictly after `after` of job `job`, added at
    /// `anchor`: fire `k` of an interval is at `anchor + k × every` plus
    /// its jitter.
    fn next(&self, after: SystemTime, anchor: SystemTime, job: &str) -> Result<SystemTime> {
        match self {
            Trigger::Every { every, jitter } => {
                let jitter = (*jitter).min(*every);
                let at = |k: u64| {
                    let shift = if jitter.is_zero() {
                        Duration::ZERO
                    } else {
                        let mut h = foldhash::fast::FixedState::with_seed(0x6a6f62).build_hasher();
                        h.write(job.as_bytes());
                        h.write_u64(k);
                        Duration::from_nanos(h.finish() % jitter.as_nanos().max(1) as u64)
                    };
                    anchor + every.saturating_mul(k.min(u32::MAX as u64) as u32) + shift
                };
                let since = after.duration_since(anchor).unwrap_or_default();
                let mut k = ((since.as_nanos() / every.as_nanos().max(1)) as u64).max(1);
                while at(k) <= after {
                    k += 1;
                }
                Ok(at(k))
            }
            Trigger::Cron(c) => c.next_after(after),
        }
    }
}

/// What a job does when it fires; it should return soon after `cancel`
/// is set (at shutdown, after the timeout).
pub type Action = dyn Fn(&CancelToken) -> std::result::Result<(), String> + Send + Sync;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// The action returned `Ok`.
    Succeeded,
    /// The action returned an error (in [`Run::error`]).
    Failed,
    /// The job's previous run was still going when this one was due: not
    /// run.
    Skipped,
    /// Shutdown cancelled the run after its timeout.
    Cancelled,
}

/// One fire of a job: when it was due, how long it ran and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The job's name.
    pub job: String,
    /// When it was due (UTC, RFC 3339).
    pub due: String,
    /// The same, in milliseconds since the epoch.
    pub due_ms: u64,
    /// How long it ran (0 when skipped).
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The action's error, or why it was skipped.
    pub error: Option<String>,
}

/// What [`Scheduler::shutdown`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Shutdown {
    /// Runs that ended within the timeout.
    pub finished: usize,
    /// Jobs whose runs were still going at the timeout: cancelled.
    pub cancelled: Vec<String>,
}

struct Job {
    trigger: Trigger,
    anchor: SystemTime,
    action: Arc<Action>,
    next: SystemTime,
    running: Arc<AtomicBool>,
}

type Listener = Arc<dyn Fn(&Run) + Send + Sync>;

struct Shared {
    clock: Arc<dyn Clock>,
    jobs: Mutex<BTreeMap<String, Job>>,
    history: Mutex<VecDeque<Run>>,
    listener: Mutex<Option<Listener>>,
    in_flight: Mutex<HashMap<u64, (String, CancelToken)>>,
    idle: Condvar,
    wake: Condvar,
    woken: Mutex<bool>,
    stopping: AtomicBool,
    driving: AtomicBool,
    run_ids: AtomicU64,
    queue: Mutex<VecDeque<Task>>,
    queued: Condvar,
    workers: usize,
    workers_started: Mutex<usize>,
}

/// The most runs [`Scheduler::history`] keeps; older ones are dropped.
pub const HISTORY: usize = 10_000;

/// The jobs a scheduler runs at once by default, on threads it starts on
/// its first tick and keeps.
pub const WORKERS: usize = 16;

/// Runs jobs when they are due, on a pool of worker threads. Drive it
/// in real time with [`start`](Self::start), or step by step on a
/// [`ManualClock`] with [`tick`](Self::tick).
pub struct Scheduler {
    shared: Arc<Shared>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new()
    }
}

impl Scheduler {
    /// A scheduler on the system clock, with no jobs, not started.
    pub fn new() -> Scheduler {
        Scheduler::with_clock(Arc::new(SystemClock))
    }

    /// A scheduler reading the time from `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Scheduler {
        Scheduler {
            shared: Arc::new(Shared {
                clock,
                jobs: Mutex::new(BTreeMap::new()),
                history: Mutex::new(VecDeque::new()),
                listener: Mutex::new(None),
                in_flight: Mutex::new(HashMap::new()),
                idle: Condvar::new(),
                wake: Condvar::new(),
                woken: Mutex::new(false),
                stopping: AtomicBool::new(false),
                driving: AtomicBool::new(false),
                run_ids: AtomicU64::new(0),
                queue: Mutex::new(VecDeque::new()),
                queued: Condvar::new(),
                workers: WORKERS,
                workers_started: Mutex::new(0),
            }),
        }
    }

    /// Runs at most `n` jobs at once (default [`WORKERS`]); more due
    /// wait their turn, counted as going on. Set before the first tick.
    pub fn workers(mut self, n: usize) -> Scheduler {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.workers = n.max(1);
        }
        self
    }

    /// Adds job `name`, first due at the trigger's first time after now.
    /// Fails when the name is taken, the trigger never fires, or the
    /// scheduler was shut down.
    pub fn add(
        &self,
        name: impl Into<String>,
        trigger: Trigger,
        action: impl Fn(&CancelToken) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) -> Result<()> {
        let name = name.into();
        let invalid = |message: String| Error::InvalidArgument {
            name: "job".into(),
            message,
        };
        if self.shared.stopping.load(Ordering::SeqCst) {
            return Err(invalid(format!("{name:?}: the scheduler was shut down")));
        }
        if let Trigger::Every { every, .. } = &trigger {
            if every.is_zero() {
                return Err(invalid(format!("{name:?}: an interval of zero")));
            }
        }
        let now = self.shared.clock.now();
        let next = trigger.next(now, now, &name)?;
        let mut jobs = lock(&self.shared.jobs);
        if jobs.contains_key(&name) {
            return Err(invalid(format!("{name:?} is already scheduled")));
        }
        jobs.insert(
            name,
            Job {
                trigger,
                anchor: now,
                action: Arc::new(action),
                next,
                running: Arc::new(AtomicBool::new(false)),
            },
        );
        drop(jobs);
        self.wake();
        Ok(())
    }

    /// Adds job `name` that collects each `(host, method)` of `targets`
    /// through `service` (its cache, limits and audit trail, as `caller`),
    /// up to eight at once. A run fails when any collection fails, naming
    /// each.
    pub fn add_collection(
        &self,
        name: impl Into<String>,
        trigger: Trigger,
        service: &CollectionService,
        targets: Vec<(String, String)>,
        caller: Caller,
    ) -> Result<()> {
        let (hosts, methods) = (service.hosts(), service.methods());
        for (host, method) in &targets {
            if !hosts.contains(host) || !methods.contains(method) {
                return Err(Error::InvalidArgument {
                    name: "targets".into(),
                    message: format!("the service has no {method:?} on {host:?}"),
                });
            }
        }
        let service = service.clone();
        self.add(name, trigger, move |cancel: &CancelToken| {
            collect_all(&service, &targets, &caller, cancel)
        })
    }

    /// Removes job `name` (a run going on ends on its own); whether it was
    /// there.
    pub fn remove(&self, name: &str) -> bool {
        lock(&self.shared.jobs).remove(name).is_some()
    }

    /// The jobs' names, sorted.
    pub fn jobs(&self) -> Vec<String> {
        lock(&self.shared.jobs).keys().cloned().collect()
    }

    /// The next `n` fire times of each job, soonest first (jitter
    /// included).
    pub fn upcoming(&self, n: usize) -> Result<Vec<(String, SystemTime)>> {
        let jobs = lock(&self.shared.jobs);
        let mut out = Vec::new();
        for (name, job) in jobs.iter() {
            let mut at = job.next;
            for k in 0..n {
                out.push((name.clone(), at));
                if k + 1 < n {
                    at = job.trigger.next(at, job.anchor, name)?;
                }
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }

    /// Calls `listener` with each run as it ends or is skipped.
    pub fn on_run(&self, listener: impl Fn(&Run) + Send + Sync + 'static) {
        *lock(&self.shared.listener) = Some(Arc::new(listener));
    }

    /// How many runs are going on now.
    pub fn running(&self) -> usize {
        lock(&self.shared.in_flight).len()
    }

    /// The runs so far, oldest first (the last [`HISTORY`]).
    pub fn history(&self) -> Vec<Run> {
        lock(&self.shared.history).iter().cloned().collect()
    }

    /// Queues every job due now for the workers and records
    /// a skip for each whose previous run is still going; returns how many
    /// started. A job fires once per tick however many of its times have
    /// passed, then is due at its first time after now.
    pub fn tick(&self) -> usize {
        tick(&self.shared)
    }

    /// Runs the scheduler on a thread of its own, in real time, until
    /// [`shutdown`](Self::shutdown) (or until the scheduler is dropped).
    pub fn start(&self) -> Result<()> {
        if self.shared.driving.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let weak = Arc::downgrade(&self.shared);
        std::thread::Builder::new()
            .name("infrarag-scheduler".into())
            .spawn(move || drive(weak))
            .map(|_| ())
            .map_err(|e| Error::InvalidArgument {
                name: "scheduler".into(),
                message: format!("cannot start its thread: {e}"),
            })
    }

    /// Stops firing jobs, waits up to `timeout` for runs going on, then
    /// cancels those still going (their actions see the cancel token).
    pub fn shutdown(&self, timeout: Duration) -> Shutdown {
        let shared = &self.shared;
        shared.stopping.store(true, Ordering::SeqCst);
        self.wake();
        fail_queued(shared, "the scheduler shut down before it started");
        let before = lock(&shared.in_flight).len();
        let deadline = std::time::Instant::now() + timeout;
        let mut in_flight = lock(&shared.in_flight);
        while !in_flight.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            in_flight = shared
                .idle
                .wait_timeout(in_flight, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        let mut cancelled: Vec<String> = in_flight
            .values()
            .map(|(job, token)| {
                token.cancel();
                job.clone()
            })
            .collect();
        cancelled.sort();
        Shutdown {
            finished: before - cancelled.len(),
            cancelled,
        }
    }

    fn wake(&self) {
        *lock(&self.shared.woken) = true;
        self.shared.wake.notify_all();
        let _queue = lock(&self.shared.queue);
        self.shared.queued.notify_all();
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.wake();
    }
}

fn tick(shared: &Arc<Shared>) -> usize {
    if shared.stopping.load(Ordering::SeqCst) {
        return 0;
    }
    let now = shared.clock.now();
    let mut started = 0;
    let mut skipped = Vec::new();
    let mut jobs = lock(&shared.jobs);
    for (name, job) in jobs.iter_mut() {
        if job.next > now {
            continue;
        }
        let due = job.next;
        job.next = match job.trigger.next(now, job.anchor, name) {
            Ok(next) => next,
            // A cron expression with no time left: never due again.
            Err(_) => SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),
        };
        if job.running.swap(true, Ordering::SeqCst) {
            skipped.push(Run {
                job: name.clone(),
                due: utc(due),
                due_ms: millis(due),
                duration_ms: 0,
                outcome: RunOutcome::Skipped,
                error: Some("the previous run was still going".into()),
            });
            continue;
        }
        let id = shared.run_ids.fetch_add(1, Ordering::Relaxed);
        let token = CancelToken::new();
        lock(&shared.in_flight).insert(id, (name.clone(), token.clone()));
        lock(&shared.queue).push_back(Task {
            id,
            job: name.clone(),
            due,
            action: job.action.clone(),
            running: job.running.clone(),
            token,
        });
        shared.queued.notify_one();
        started += 1;
    }
    drop(jobs);
    for run in skipped {
        record(shared, run);
    }
    if started > 0 {
        if let Err(e) = ensure_workers(shared) {
            fail_queued(shared, &e);
            return 0;
        }
    }
    started
}

/// A run waiting for a worker.
struct Task {
    id: u64,
    job: String,
    due: SystemTime,
    action: Arc<Action>,
    running: Arc<AtomicBool>,
    token: CancelToken,
}

/// Starts the worker threads, once.
fn ensure_workers(shared: &Arc<Shared>) -> std::result::Result<(), String> {
    let mut started = lock(&shared.workers_started);
    while *started < shared.workers {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("infrarag-job".into())
            .spawn(move || work(&shared))
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        *started += 1;
    }
    Ok(())
}

/// Runs queued tasks until the scheduler stops; tasks still queued then
/// are dropped as cancelled.
fn work(shared: &Arc<Shared>) {
    loop {
        let task = {
            let mut queue = lock(&shared.queue);
            loop {
                if shared.stopping.load(Ordering::SeqCst) {
                    drop(queue);
                    fail_queued(shared, "the scheduler shut down before it started");
                    return;
                }
                if let Some(task) = queue.pop_front() {
                    break task;
                }
                queue = shared.queued.wait(queue).unwrap_or_else(|p| p.into_inner());
            }
        };
        run_task(shared, task);
    }
}

fn run_task(shared: &Shared, task: Task) {
    let clock = std::time::Instant::now();
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (task.action)(&task.token)))
            .unwrap_or_else(|_| Err("the job panicked".into()));
    let (outcome, error) = match result {
        Ok(()) => (RunOutcome::Succeeded, None),
        Err(e) if task.token.is_cancelled() => (RunOutcome::Cancelled, Some(e)),
        Err(e) => (RunOutcome::Failed, Some(e)),
    };
    finish(shared, &task, clock.elapsed(), outcome, error);
}

fn finish(
    shared: &Shared,
    task: &Task,
    took: Duration,
    outcome: RunOutcome,
    error: Option<String>,
) {
    task.running.store(false, Ordering::SeqCst);
    record(
        shared,
        Run {
            job: task.job.clone(),
            due: utc(task.due),
            due_ms: millis(task.due),
            duration_ms: took.as_millis() as u64,
            outcome,
            error,
        },
    );
    lock(&shared.in_flight).remove(&task.id);
    shared.idle.notify_all();
}

/// Ends every queued task unrun, with `why`.
fn fail_queued(shared: &Shared, why: &str) {
    let drained: Vec<Task> = lock(&shared.queue).drain(..).collect();
    for task in drained {
        let outcome = if shared.stopping.load(Ordering::SeqCst) {
            RunOutcome::Cancelled
        } else {
            RunOutcome::Failed
        };
        finish(
            shared,
            &task,
            Duration::ZERO,
            outcome,
            Some(why.to_string()),
        );
    }
}

fn record(shared: &Shared, run: Run) {
    let listener = lock(&shared.listener).clone();
    if let Some(listener) = listener {
        // A listener that panics loses its call, not the scheduler.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener(&run)));
    }
    let mut history = lock(&shared.history);
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(run);
}

/// The real-time loop: tick, then sleep until the soonest job is due or
/// something changes; it ends when the scheduler stops or is dropped.
fn drive(weak: Weak<Shared>) {
    loop {
        let Some(shared) = weak.upgrade() else { return };
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        tick(&shared);
        let now = shared.clock.now();
        let soonest = lock(&shared.jobs).values().map(|j| j.next).min();
        // Capped so that a dropped scheduler's thread notices soon.
        let wait = soonest
            .map(|t| t.duration_since(now).unwrap_or_default())
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        let mut woken = lock(&shared.woken);
        if !*woken && !wait.is_zero() {
            woken = shared
                .wake
                .wait_timeout(woken, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *woken = false;
    }
}

fn collect_all(
    service: &CollectionService,
    targets: &[(String, String)],
    caller: &Caller,
    cancel: &CancelToken,
) -> std::result::Result<(), String> {
    let next = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    let each = || loop {
        if cancel.is_cancelled() {
            return;
        }
        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
        let Some((host, method)) = targets.get(i) else {
            return;
        };
        if let Err(e) = service.collect(host, method, caller) {
            lock(&failures).push(e.to_string());
        }
    };
    // A host's few methods run one after another on the worker; a long
    // list of targets gets up to seven more threads, one per eight.
    let threads = targets.len().div_ceil(8).clamp(1, 8);
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(each);
        }
        each();
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if cancel.is_cancelled() {
        return Err("cancelled at shutdown".into());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} collections failed: {}",
            failures.len(),
            targets.len(),
            failures.join("; ")
        ))
    }
}
