//! Cron fire times against croniter's (`collectors/cron/cases.json`), and
//! the scheduler on a controllable clock: intervals, jitter, DST, overlap
//! skipping, collections, shutdown; and once in real time.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use infrarag::collect::{
    Caller, CollectionService, Command, CommandCollector, CronSchedule, ManualClock, Record,
    RunOutcome, Scheduler, Trigger,
};
use serde_json::Value;

fn cases() -> Value {
    infrarag_tests::read_json(&infrarag_tests::corpus().join("collectors/cron/cases.json"))
}

/// croniter's spelling in ours: its six- and seven-field forms put seconds
/// after the day of week, ours (croner's) first; `day_or: false` is our
/// `+` before the day of week.
fn ours(expr: &str, options: &Value) -> String {
    let mut fields: Vec<String> = expr.split_whitespace().map(String::from).collect();
    if fields.len() >= 6 && options.get("second_at_beginning").is_none() {
        let seconds = fields.remove(5);
        fields.insert(0, seconds);
    }
    if options.get("day_or") == Some(&Value::Bool(false)) {
        let dow = if fields.len() == 5 { 4 } else { 5 };
        fields[dow] = format!("+{}", fields[dow]);
    }
    if fields.is_empty() {
        return expr.to_string();
    }
    fields.join(" ")
}

/// Where croniter and we knowingly differ (tests/KNOWN_DIFFERENCES.md).
const DIFFERENT: [&str; 8] = [
    // croniter wraps `5-1` around; croner refuses it (a typed error).
    "wrapping-minute-range",
    "wrapping-dow-range",
    // croniter's `W15` spelling; we read `15W`.
    "nearest-weekday-15-prefix",
    // `31W` in a 30-day month: croniter takes the last weekday, croner
    // skips the month.
    "nearest-weekday-31",
    // Jenkins-style hashed `H` fields are not read.
    "hashed-H",
    // A time the fall-back hour repeats: croniter fires twice, we once.
    "ny-fall-0130",
    "berlin-fall-0200",
    "berlin-fall-0230",
];

/// Expressions croniter refuses that we read on purpose: croner's
/// extensions.
const ACCEPTED: [&str; 3] = [
    // `5L`: the last Friday (croniter spells it `L5`).
    "quartz-5L",
    // `LW`: the last weekday of the month.
    "LW",
    // Years past 2099.
    "year-range-too-far",
];

#[test]
fn fire_times_agree_with_croniter() {
    let cases = cases();
    let mut agree = 0;
    let mut differ = BTreeSet::new();
    for case in cases["valid"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let expr = ours(case["expr"].as_str().unwrap(), &case["options"]);
        let tz = case["tz"].as_str().unwrap();
        let want: Vec<&str> = case["next"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let start = CronSchedule::instant(case["start"].as_str().unwrap()).unwrap();
        let got = CronSchedule::parse(&expr, tz).and_then(|s| {
            Ok(s.upcoming(start, want.len())?
                .into_iter()
                .map(|t| s.local(t))
                .collect::<Vec<_>>())
        });
        match got {
            Ok(got) if got == want => agree += 1,
            other => {
                differ.insert(id.to_string());
                if !DIFFERENT.contains(&id) {
                    panic!("{id}: `{expr}` in {tz}: want {want:?}, got {other:?}");
                }
            }
        }
    }
    let expected: BTreeSet<String> = DIFFERENT.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        differ, expected,
        "a known difference went away: update the list"
    );
    let total = cases["valid"].as_array().unwrap().len();
    println!("cron: {agree} of {total} valid expressions give croniter's five next fire times");
    assert_eq!(agree + DIFFERENT.len(), total);

    let mut refused = 0;
    for case in cases["invalid"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let expr = case["expr"].as_str().unwrap();
        let start = CronSchedule::instant(case["start"].as_str().unwrap()).unwrap();
        match CronSchedule::parse(expr, "UTC").and_then(|s| s.next_after(start)) {
            Err(e) => {
                refused += 1;
                assert!(!ACCEPTED.contains(&id), "{id} is refused now: {e}");
                let message = e.to_string();
                assert!(
                    message.contains(&format!("`{expr}`")) && message.len() > expr.len() + 10,
                    "{id}: {message}"
                );
            }
            Ok(t) => assert!(
                ACCEPTED.contains(&id),
                "{id}: `{expr}` was accepted (next {t:?})"
            ),
        }
    }
    let total = cases["invalid"].as_array().unwrap().len();
    println!("cron: {refused} of {total} invalid expressions refused with a message ({} are croner extensions)", ACCEPTED.len());
    assert_eq!(refused + ACCEPTED.len(), total);
}

fn at(text: &str) -> SystemTime {
    CronSchedule::instant(text).unwrap()
}

/// Waits until `f` holds (runs end on their own threads).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn interval_jobs_fire_when_due_and_an_overlapping_run_is_skipped() {
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let scheduler = Scheduler::with_clock(clock.clone());
    let (release, gate) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    scheduler
        .add("slow", Trigger::every(Duration::from_secs(30)), move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            gate.lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10))
                .map_err(|e| e.to_string())
        })
        .unwrap();
    assert_eq!(scheduler.tick(), 0, "not due yet");
    clock.advance(Duration::from_secs(29));
    assert_eq!(scheduler.tick(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(scheduler.tick(), 1);
    eventually("the first run to start", || {
        runs.load(Ordering::SeqCst) == 1
    });
    clock.advance(Duration::from_secs(30));
    assert_eq!(scheduler.tick(), 0, "the first run is still going");
    let history = scheduler.history();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, RunOutcome::Skipped);
    assert_eq!(history[0].due, "2026-01-01T00:01:00.000Z");
    release.send(()).unwrap();
    eventually("the first run to end", || scheduler.history().len() == 2);
    assert_eq!(scheduler.history()[1].outcome, RunOutcome::Succeeded);
    assert_eq!(scheduler.history()[1].due, "2026-01-01T00:00:30.000Z");
    // Five missed intervals fire once, then the job is due 30 s after now.
    clock.advance(Duration::from_secs(150));
    release.send(()).unwrap();
    assert_eq!(scheduler.tick(), 1);
    eventually("the second run", || scheduler.history().len() == 3);
    let next = scheduler.upcoming(1).unwrap();
    assert_eq!(next, vec![("slow".to_string(), at("2026-01-01T00:04:00Z"))]);
    assert!(scheduler
        .add("slow", Trigger::every(Duration::from_secs(1)), |_| Ok(()))
        .is_err());
    assert!(scheduler
        .add("zero", Trigger::every(Duration::ZERO), |_| Ok(()))
        .is_err());
}

#[test]
fn jitter_spreads_a_thousand_jobs_over_the_interval() {
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let scheduler = Scheduler::with_clock(clock);
    let every = Duration::from_secs(30);
    for i in 0..1000 {
        let trigger = Trigger::every(every).with_jitter(every);
        scheduler
            .add(format!("host{i}"), trigger, |_| Ok(()))
            .unwrap();
    }
    let fires = scheduler.upcoming(1).unwrap();
    let start = at("2026-01-01T00:00:00Z");
    let offsets: Vec<Duration> = fires
        .iter()
        .map(|(_, t)| t.duration_since(start).unwrap())
        .collect();
    assert!(offsets.iter().all(|d| *d >= every && *d < every * 2));
    // Each of ten 3-second slices of the interval gets some of them.
    let mut slices = [0usize; 10];
    for d in &offsets {
        slices[((d.as_secs_f64() - 30.0) / 3.0) as usize] += 1;
    }
    assert!(slices.iter().all(|n| (50..=150).contains(n)), "{slices:?}");
    assert_eq!(
        scheduler.upcoming(1).unwrap(),
        fires,
        "jitter is the same on every ask"
    );
}

#[test]
fn cron_jobs_fire_at_local_times_across_daylight_saving() {
    let clock = Arc::new(ManualClock::new(at("2026-03-07T12:00:00-05:00")));
    let scheduler = Scheduler::with_clock(clock.clone());
    scheduler
        .add(
            "backup",
            Trigger::cron("30 2 * * *", "America/New_York").unwrap(),
            |_| Ok(()),
        )
        .unwrap();
    let schedule = CronSchedule::parse("30 2 * * *", "America/New_York").unwrap();
    let upcoming: Vec<String> = scheduler
        .upcoming(3)
        .unwrap()
        .into_iter()
        .map(|(_, t)| schedule.local(t))
        .collect();
    assert_eq!(
        upcoming,
        [
            "2026-03-08T03:00:00-04:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00"
        ]
    );
    clock.set(at("2026-03-08T01:59:59-05:00"));
    assert_eq!(scheduler.tick(), 0);
    clock.set(at("2026-03-08T03:00:00-04:00"));
    assert_eq!(scheduler.tick(), 1);
    eventually("the run", || scheduler.history().len() == 1);
    assert_eq!(scheduler.history()[0].due, "2026-03-08T07:00:00.000Z");
}

#[test]
fn collection_jobs_go_through_the_service_and_are_audited() {
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let scheduler = Scheduler::with_clock(clock.clone());
    let hello = CommandCollector::new(
        "hello",
        vec![Command::new(["echo", "hi"])],
        |o: &[infrarag::collect::Output]| {
            Ok(vec![Record {
                kind: "hello".into(),
                data: o[0].text().trim().into(),
            }])
        },
    );
    let fails = CommandCollector::new(
        "fails",
        vec![Command::new(["false"])],
        |_: &[infrarag::collect::Output]| Ok(vec![]),
    );
    let service = CollectionService::builder()
        .method(Arc::new(hello), Some(Duration::ZERO))
        .method(Arc::new(fails), None)
        .build()
        .unwrap();
    let caller = Caller::new("scheduler", "every minute");
    let targets = vec![("localhost".to_string(), "hello".to_string())];
    scheduler
        .add_collection(
            "poll",
            Trigger::cron("* * * * *", "UTC").unwrap(),
            &service,
            targets,
            caller.clone(),
        )
        .unwrap();
    let broken = vec![("localhost".to_string(), "fails".to_string())];
    scheduler
        .add_collection(
            "broken",
            Trigger::cron("* * * * *", "UTC").unwrap(),
            &service,
            broken,
            caller.clone(),
        )
        .unwrap();
    let nowhere = vec![("elsewhere".to_string(), "hello".to_string())];
    assert!(scheduler
        .add_collection(
            "nowhere",
            Trigger::every(Duration::from_secs(1)),
            &service,
            nowhere,
            caller
        )
        .is_err());
    clock.advance(Duration::from_secs(60));
    assert_eq!(scheduler.tick(), 2);
    eventually("both runs", || scheduler.history().len() == 2);
    let mut history = scheduler.history();
    history.sort_by(|a, b| a.job.cmp(&b.job));
    assert_eq!(history[0].outcome, RunOutcome::Failed);
    assert!(
        history[0]
            .error
            .as_deref()
            .unwrap()
            .contains("COMMAND_ERROR")
            || history[0].error.as_deref().unwrap().contains("`false`")
    );
    assert_eq!(history[1].outcome, RunOutcome::Succeeded);
    let audit = service.store().audit(&Default::default()).unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit
        .iter()
        .all(|a| a.actor == "scheduler" && a.reason == "every minute"));
}

#[test]
fn shutdown_lets_short_runs_end_and_cancels_the_rest() {
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    // Two workers: the third job due waits in the queue.
    let scheduler = Scheduler::with_clock(clock.clone()).workers(2);
    let started = Arc::new(AtomicUsize::new(0));
    let (a, b) = (started.clone(), started.clone());
    scheduler
        .add("quick", Trigger::every(Duration::from_secs(1)), move |_| {
            a.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            Ok(())
        })
        .unwrap();
    scheduler
        .add(
            "stuck",
            Trigger::every(Duration::from_secs(1)),
            move |cancel| {
                b.fetch_add(1, Ordering::SeqCst);
                while !cancel.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err("stopped".into())
            },
        )
        .unwrap();
    scheduler
        .add(
            "waiting",
            Trigger::every(Duration::from_secs(1)),
            |_| Ok(()),
        )
        .unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(scheduler.tick(), 3);
    eventually("two runs to start", || started.load(Ordering::SeqCst) == 2);
    let report = scheduler.shutdown(Duration::from_millis(500));
    assert_eq!(
        (report.finished, report.cancelled),
        (1, vec!["stuck".to_string()])
    );
    eventually("the cancelled run to end", || {
        scheduler.history().len() == 3
    });
    let waiting = scheduler
        .history()
        .into_iter()
        .find(|r| r.job == "waiting")
        .unwrap();
    assert_eq!(
        waiting.outcome,
        RunOutcome::Cancelled,
        "a queued run never starts after shutdown"
    );
    let stuck = scheduler
        .history()
        .into_iter()
        .find(|r| r.job == "stuck")
        .unwrap();
    assert_eq!(stuck.outcome, RunOutcome::Cancelled);
    clock.advance(Duration::from_secs(5));
    assert_eq!(scheduler.tick(), 0, "nothing fires after shutdown");
    assert!(scheduler
        .add("late", Trigger::every(Duration::from_secs(1)), |_| Ok(()))
        .is_err());
}

#[test]
fn started_it_runs_in_real_time() {
    let scheduler = Scheduler::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let heard = seen.clone();
    scheduler.on_run(move |run| heard.lock().unwrap().push(run.outcome));
    scheduler
        .add(
            "tick",
            Trigger::every(Duration::from_millis(50)),
            move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        )
        .unwrap();
    scheduler.start().unwrap();
    eventually("three runs", || runs.load(Ordering::SeqCst) >= 3);
    let report = scheduler.shutdown(Duration::from_secs(1));
    assert!(report.cancelled.is_empty());
    let after = runs.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        after,
        "it fired after shutdown"
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|o| *o == RunOutcome::Succeeded));
}

#[test]
fn a_burst_of_due_jobs_runs_on_the_pool_not_a_thread_each() {
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let scheduler = Scheduler::with_clock(clock.clone()).workers(4);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    for i in 0..200 {
        let (running, most) = (running.clone(), most.clone());
        scheduler
            .add(
                format!("job{i}"),
                Trigger::every(Duration::from_secs(30)),
                move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                },
            )
            .unwrap();
    }
    clock.advance(Duration::from_secs(30));
    assert_eq!(scheduler.tick(), 200);
    eventually("every run", || scheduler.history().len() == 200);
    assert!(scheduler
        .history()
        .iter()
        .all(|r| r.outcome == RunOutcome::Succeeded));
    let most = most.load(Ordering::SeqCst);
    assert!((2..=4).contains(&most), "{most} runs at once on 4 workers");
}
