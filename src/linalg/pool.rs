//! A small persistent worker pool built on `std` (`Mutex`, `Condvar`, atomics).
//!
//! Why persistent: an RNN calls GEMM once per time step, and spawning threads
//! per call costs more than a small GEMM. The workers are started once, sleep on
//! a condition variable, and wake for each parallel call.
//!
//! Between the jobs of a time loop nobody sleeps: a worker watches for the
//! next job and the caller watches the workers finish (see `SPIN`), and the
//! condition variables are signalled only when someone does sleep on them.
//! (Before, a caller whose own task ended first often slept until the last
//! worker's exit signal.) A job takes the lock three times: to post it, for a
//! worker to join it, and to close it; a worker leaves it, and the caller
//! sees it done, through atomics alone. An empty job costs about 0.23 µs on
//! a 2-core AMD EPYC Zen 5 (`cargo bench --bench gemm -- pool`; 0.29 when
//! leaving took the lock too), which is what lets GEMM split even the 1.4 µs
//! step product of a batch-1 LSTM.
//!
//! How work is shared: `parallel_for(threads, n_tasks, f)` runs `f(0) … f(n_tasks−1)`
//! on the calling thread plus up to `threads − 1` workers. Tasks are handed out
//! by an atomic counter, so which thread runs a task varies; callers make each
//! task's result independent of that (GEMM gives each task its own block of
//! output columns), which keeps results bit-identical for any thread count.
//!
//! If the pool is already running a job (another thread's call, or a nested
//! call from inside a task), the new call simply runs all its tasks on the
//! calling thread. That can never deadlock and gives the same results.
//!
//! `side_by_side(produce, consume, …)` runs two different pieces of work at
//! once, one handing the other its results block by block (an LSTM's time
//! loop and the input products beside it); either side runs the other if
//! no thread has taken it, so it too cannot deadlock on one thread.
//!
//! The thread count comes from `SEQMODELS_THREADS`, or else
//! `std::thread::available_parallelism`; `set_threads` overrides both.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, OnceLock, TryLockError};
use std::thread;

/// The closure type a job runs, with its borrow lifetime erased (see `parallel_for`).
type TaskFn = dyn Fn(usize) + Sync;

struct State {
    /// Increases by one for every job, so a sleeping worker can tell a new job
    /// from a spurious wake-up.
    epoch: u64,
    /// The current job's closure, `None` once the caller has closed the job.
    job: Option<&'static TaskFn>,
    /// How many workers may still join the current job.
    seats: usize,
    /// Workers asleep on `wake`: posting a job signals the condition
    /// variable only if there are any (a signal is a system call).
    sleepers: usize,
}

/// A value on a 64-byte cache line of its own. The caller writes `posted`
/// while a worker watches it, both threads take tasks from `next_task`, and
/// the worker lowers `active` while the caller watches it; on one line with
/// each other and the lock, every write sent the line across to the other
/// core and back. Apart: `cargo bench --bench gemm -- pool`, empty job,
/// 3 alternations, 451–473 → 394–407 ns (a slow minute of the machine), and
/// the batch-1 LSTM (64, 1, 64, 128) on 2 threads 2.5% faster (medians of
/// 10 alternations).
#[repr(align(64))]
struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    done: Condvar,
    next_task: CacheLine<AtomicUsize>,
    n_tasks: AtomicUsize,
    /// `State::epoch` of the last job posted, readable without the lock: a
    /// worker that has just finished a job watches it for a while before it
    /// sleeps (see `SPIN`).
    posted: CacheLine<AtomicU64>,
    /// Workers currently inside the current job (raised under the lock,
    /// lowered without it): the caller watches it fall to zero.
    active: CacheLine<AtomicUsize>,
    /// Set while the caller sleeps on `done`: the last worker out of a job
    /// signals it only then.
    caller_waits: AtomicBool,
    /// Set if a task of the current job panicked on a worker.
    panicked: AtomicBool,
}

/// How long a thread that waits for the pool (a worker for the next job, the
/// caller for the workers' last tasks) watches for it before it sleeps on a
/// condition variable. An RNN posts a job per GEMM and gate pass of every
/// time step, tens of microseconds apart; waking a sleeping thread takes
/// about as long on this kind of machine, and the job's second half then
/// waits for it. Watching costs the waiting thread's core for at most this
/// long after each job.
const SPIN: std::time::Duration = std::time::Duration::from_micros(200);

/// Watches `ready` until it returns true or `SPIN` has passed. (Either way
/// the caller then checks under the lock, so a miss here costs only a sleep.)
fn spin_until(ready: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while start.elapsed() < SPIN {
        for _ in 0..64 {
            if ready() {
                return;
            }
            std::hint::spin_loop();
        }
    }
}

struct Pool {
    shared: Arc<Shared>,
    /// Held by the caller of a parallel job; also guards growing the pool.
    busy: Mutex<usize>,
}

static POOL: OnceLock<Pool> = OnceLock::new();
static THREADS: AtomicUsize = AtomicUsize::new(0);
static WORKER_TASKS: AtomicUsize = AtomicUsize::new(0);

/// How many tasks worker threads (not callers) have run in this process:
/// lets tests confirm that a parallel path really ran in parallel.
pub fn worker_tasks_run() -> usize {
    WORKER_TASKS.load(Ordering::Relaxed)
}

/// The most threads any command accepts (`--threads`, `SEQMODELS_THREADS`):
/// far above any useful count, low enough that a typo cannot ask the OS for
/// a hundred thousand stacks.
pub const MAX_THREADS: usize = 1024;

/// Parses a `SEQMODELS_THREADS` value: a whole number from 1 to [`MAX_THREADS`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "SEQMODELS_THREADS={s:?}: expected a whole number of threads, 1 to {MAX_THREADS}"
        )),
    }
}

/// Reads `SEQMODELS_THREADS`: `Ok(None)` if unset, an error naming the variable if malformed.
pub fn threads_from_env() -> Result<Option<usize>, String> {
    match std::env::var("SEQMODELS_THREADS") {
        Ok(s) => parse_threads(&s).map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(_) => Err("SEQMODELS_THREADS is not valid UTF-8".to_string()),
    }
}

/// The thread count parallel kernels use by default.
pub fn threads() -> usize {
    let t = THREADS.load(Ordering::Relaxed);
    if t != 0 {
        return t;
    }
    let t = match threads_from_env() {
        Ok(Some(n)) => n,
        Ok(None) => default_threads(),
        Err(e) => {
            eprintln!("warning: {e}; using {} threads", default_threads());
            default_threads()
        }
    };
    THREADS.store(t, Ordering::Relaxed);
    t
}

/// `available_parallelism`, or 1 if unknown.
pub fn default_threads() -> usize {
    thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Sets the default thread count for this process (at least 1).
pub fn set_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

fn pool() -> &'static Pool {
    POOL.get_or_init(|| Pool {
        shared: Arc::new(Shared {
            state: Mutex::new(State {
                epoch: 0,
                job: None,
                seats: 0,
                sleepers: 0,
            }),
            wake: Condvar::new(),
            done: Condvar::new(),
            next_task: CacheLine(AtomicUsize::new(0)),
            n_tasks: AtomicUsize::new(0),
            posted: CacheLine(AtomicU64::new(0)),
            active: CacheLine(AtomicUsize::new(0)),
            caller_waits: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        }),
        busy: Mutex::new(0),
    })
}

/// Runs the tasks of the current job until none are left.
fn drain(shared: &Shared, f: &(dyn Fn(usize) + Sync + '_), on_worker: bool) {
    let n = shared.n_tasks.load(Ordering::Acquire);
    loop {
        let i = shared.next_task.fetch_add(1, Ordering::AcqRel);
        if i >= n {
            break;
        }
        f(i);
        if on_worker {
            WORKER_TASKS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn worker_loop(shared: Arc<Shared>) {
    let mut seen = 0u64;
    loop {
        // Watch for the next job before sleeping (see `SPIN`).
        spin_until(|| shared.posted.load(Ordering::Acquire) != seen);
        let f = {
            let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if st.epoch != seen {
                    seen = st.epoch;
                    if let Some(f) = st.job {
                        if st.seats > 0 {
                            st.seats -= 1;
                            shared.active.fetch_add(1, Ordering::AcqRel);
                            break f;
                        }
                    }
                }
                st.sleepers += 1;
                st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
                st.sleepers -= 1;
            }
        };
        let ok = catch_unwind(AssertUnwindSafe(|| drain(&shared, f, true))).is_ok();
        if !ok {
            shared.panicked.store(true, Ordering::Release);
        }
        // Leaving needs no lock. The caller sets `caller_waits` and then
        // reads `active`; this thread lowers `active` and then reads
        // `caller_waits` (all SeqCst): one of the two sees the other's write,
        // so either the caller does not sleep or it is signalled here. The
        // signal takes the lock, so it cannot fall between the caller's last
        // check and its sleep.
        if shared.active.fetch_sub(1, Ordering::SeqCst) == 1
            && shared.caller_waits.load(Ordering::SeqCst)
        {
            let _st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            shared.done.notify_all();
        }
    }
}

/// Runs `f(0)`, …, `f(n_tasks − 1)` on up to `threads` threads (the caller
/// included) and returns when all have finished. Each task must write only to
/// data no other task touches. A panic in any task is re-raised here.
pub fn parallel_for<'f>(threads: usize, n_tasks: usize, f: &'f (dyn Fn(usize) + Sync + 'f)) {
    let helpers = threads.min(n_tasks).saturating_sub(1);
    if helpers == 0 {
        for i in 0..n_tasks {
            f(i);
        }
        return;
    }
    let pool = pool();
    let mut started = match pool.busy.try_lock() {
        Ok(g) => g,
        Err(TryLockError::WouldBlock) | Err(TryLockError::Poisoned(_)) => {
            // The pool serves another job: run everything here.
            for i in 0..n_tasks {
                f(i);
            }
            return;
        }
    };
    while *started < helpers {
        let shared = Arc::clone(&pool.shared);
        let spawned = thread::Builder::new()
            .name(format!("seqmodels-worker-{}", *started))
            .spawn(move || worker_loop(shared));
        if spawned.is_err() {
            break;
        }
        *started += 1;
    }
    let helpers = helpers.min(*started);
    let shared = &*pool.shared;
    // SAFETY: the pool holds this reference only while the job is open or a
    // worker is active in it. Below, this function closes the job (`job = None`)
    // and then waits until `active == 0` before returning, so no worker can use
    // the reference after `f`'s borrow ends. The lifetime is erased only to
    // store the reference in the shared state; it is never used after return.
    let f_static: &'static TaskFn =
        unsafe { std::mem::transmute::<&'f (dyn Fn(usize) + Sync + 'f), &'static TaskFn>(f) };
    shared.panicked.store(false, Ordering::Relaxed);
    shared.n_tasks.store(n_tasks, Ordering::Release);
    shared.next_task.store(0, Ordering::Release);
    let sleepers = {
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        st.epoch += 1;
        st.job = Some(f_static);
        st.seats = helpers;
        shared.posted.store(st.epoch, Ordering::Release);
        st.sleepers
    };
    // A worker that is not asleep is watching `posted` or about to check
    // `epoch` under the lock, so only sleepers need the signal.
    if sleepers > 0 {
        shared.wake.notify_all();
    }
    let mine = catch_unwind(AssertUnwindSafe(|| drain(shared, f, false)));
    {
        // Every task is now taken (unless this thread's task panicked; the
        // panic is raised again below), by this thread or by a worker that joined
        // (and counted itself in `active`) under the lock. Close the job, so
        // no worker can join it from here; the job is done when the workers
        // that did join have left.
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        st.job = None;
        st.seats = 0;
    }
    // Watch the workers leave; only if that outlasts `SPIN`, sleep on `done`
    // (the worker's side, in `worker_loop`, says why no signal is lost).
    spin_until(|| shared.active.load(Ordering::Acquire) == 0);
    if shared.active.load(Ordering::Acquire) > 0 {
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        shared.caller_waits.store(true, Ordering::SeqCst);
        while shared.active.load(Ordering::SeqCst) > 0 {
            st = shared.done.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        shared.caller_waits.store(false, Ordering::SeqCst);
    }
    let worker_panicked = shared.panicked.load(Ordering::Acquire);
    drop(started);
    if let Err(p) = mine {
        std::panic::resume_unwind(p);
    }
    if worker_panicked {
        panic!("a task panicked on a worker thread");
    }
}

/// Runs `f` on every part, one task per part on up to `threads` threads.
/// Each part sits behind its own lock, which only its task takes: a safe way
/// to hand the pool's shared `Fn` tasks disjoint mutable pieces of data.
pub fn parallel_parts<P: Send>(threads: usize, parts: Vec<P>, f: &(dyn Fn(&mut P) + Sync)) {
    let parts: Vec<Mutex<P>> = parts.into_iter().map(Mutex::new).collect();
    parallel_for(threads, parts.len(), &|i| {
        f(&mut parts[i].lock().unwrap_or_else(|e| e.into_inner()))
    });
}

/// Runs `produce` and `consume` at the same time on two threads, `produce`
/// handing `consume` each value it finishes (blocks of a result, in order)
/// through a channel: `consume` calls its argument for the next value, which
/// waits until `produce` has sent it. The calling thread runs `produce` if
/// `caller_produces`, else `consume`, and one of the pool's workers runs the
/// other side.
///
/// Nothing waits for a side that nobody runs: if `consume` needs a value
/// that has not come while no thread has taken `produce`, it runs `produce`
/// itself first, to its end; and a thread whose side is done takes the
/// other if nobody has. So on one thread (`threads()` is 1, or inside
/// another job, where the pool runs everything on the caller) both sides
/// run on the caller, `produce` first, and every result is the same as on
/// two.
///
/// `produce` must send every value `consume` asks for. If it stops early (a
/// panic), `consume` panics at its next request, and the panic is raised
/// here, as `parallel_for` raises any task's.
pub fn side_by_side<B: Send>(
    produce: impl FnOnce(&dyn Fn(B)) + Send,
    consume: impl FnOnce(&mut dyn FnMut() -> B) + Send,
    caller_produces: bool,
) {
    let (tx, rx) = mpsc::channel();
    // Each side with its end of the channel, taken by the first thread that
    // runs it. The producer's end is dropped when it returns or unwinds,
    // which a consumer still waiting then sees.
    let producer = Mutex::new(Some((produce, tx)));
    let consumer = Mutex::new(Some((consume, rx)));
    let run_producer = || {
        if let Some((produce, tx)) = take(&producer) {
            // A send fails only once `consume` has returned; then nobody
            // wants the value.
            produce(&|value| {
                let _ = tx.send(value);
            });
        }
    };
    let run_consumer = || {
        if let Some((consume, rx)) = take(&consumer) {
            consume(&mut || loop {
                match rx.try_recv() {
                    Ok(value) => return value,
                    // Nobody has taken `produce`: run it here.
                    Err(mpsc::TryRecvError::Empty) if producer_waiting(&producer) => run_producer(),
                    // Watch rather than sleep: values come microseconds apart.
                    Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
                    Err(mpsc::TryRecvError::Disconnected) => {
                        panic!(
                            "side_by_side: the producing side stopped before sending every value"
                        )
                    }
                }
            });
        }
    };
    let caller = thread::current().id();
    parallel_for(threads().min(2), 2, &|_| {
        if (thread::current().id() == caller) == caller_produces {
            run_producer();
            run_consumer();
        } else {
            run_consumer();
            run_producer();
        }
    });
}

/// Takes a side of `side_by_side` from its slot (None if a thread has).
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Whether nobody has taken the producing side of `side_by_side` yet.
fn producer_waiting<T>(slot: &Mutex<Option<T>>) -> bool {
    slot.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn every_task_runs_once() {
        for threads in 1..=4 {
            let hits: Vec<AtomicU64> = (0..97).map(|_| AtomicU64::new(0)).collect();
            parallel_for(threads, hits.len(), &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
    }

    #[test]
    fn nested_calls_run_inline() {
        let total = AtomicU64::new(0);
        parallel_for(2, 4, &|_| {
            parallel_for(2, 3, &|_| {
                total.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(total.load(Ordering::Relaxed), 12);
    }

    #[test]
    fn a_panicking_task_is_reported_and_the_pool_survives() {
        let r = catch_unwind(|| {
            parallel_for(2, 8, &|i| {
                if i == 5 {
                    panic!("task 5");
                }
            })
        });
        assert!(r.is_err());
        let n = AtomicU64::new(0);
        parallel_for(2, 8, &|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(n.load(Ordering::Relaxed), 8);
    }

    /// The sleeping paths: a caller whose wait outlasts `SPIN` sleeps on
    /// `done` and must be signalled by the last worker out, and workers idle
    /// for longer than `SPIN` sleep on `wake` and must be signalled by the
    /// next job. A lost signal would hang the jobs; the test fails instead.
    /// (Checked: without the last worker's signal it fails after 60 s.)
    #[test]
    fn sleeping_callers_and_workers_are_woken() {
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            for round in 0..24 {
                let hits = AtomicU64::new(0);
                parallel_for(2, 2, &|_| {
                    // Long enough for the worker to take the other task.
                    let start = std::time::Instant::now();
                    while start.elapsed() < std::time::Duration::from_micros(20) {}
                    let on_worker = thread::current()
                        .name()
                        .is_some_and(|n| n.starts_with("seqmodels-worker"));
                    if on_worker && round % 3 == 0 {
                        thread::sleep(SPIN * 3); // the caller falls asleep
                    }
                    hits.fetch_add(1, Ordering::Relaxed);
                });
                assert_eq!(hits.load(Ordering::Relaxed), 2, "round {round}");
                if round % 4 == 1 {
                    thread::sleep(SPIN * 3); // the worker falls asleep
                }
            }
            tx.send(()).expect("the test waits");
        });
        // A lost signal would hang the loop; fail instead of hanging.
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("24 jobs did not finish within 60 s: a wake-up was lost");
    }

    #[test]
    fn side_by_side_hands_over_every_value_in_order() {
        // Either side on the caller, on two threads and nested inside a job
        // (where both sides run on one thread).
        let run = |caller_produces: bool| {
            let mut seen = Vec::new();
            side_by_side(
                |send: &dyn Fn(usize)| {
                    for i in 0..100 {
                        send(i * i);
                    }
                },
                |next: &mut dyn FnMut() -> usize| {
                    for _ in 0..100 {
                        seen.push(next());
                    }
                },
                caller_produces,
            );
            assert_eq!(seen, (0..100).map(|i| i * i).collect::<Vec<_>>());
        };
        for caller_produces in [false, true] {
            run(caller_produces);
            parallel_for(2, 2, &|_| run(caller_produces));
        }
    }

    #[test]
    fn side_by_side_reports_a_producer_that_stops_early() {
        for caller_produces in [false, true] {
            let r = catch_unwind(|| {
                side_by_side(
                    |send: &dyn Fn(u8)| {
                        send(1);
                        panic!("producer");
                    },
                    |next: &mut dyn FnMut() -> u8| {
                        next();
                        next();
                    },
                    caller_produces,
                )
            });
            assert!(r.is_err());
        }
    }

    #[test]
    fn thread_count_parsing() {
        assert_eq!(parse_threads("3"), Ok(3));
        assert!(parse_threads("0").is_err());
        assert_eq!(parse_threads("1024"), Ok(MAX_THREADS));
        assert!(parse_threads("1025").unwrap_err().contains("1 to 1024"));
        assert!(parse_threads("two")
            .unwrap_err()
            .contains("SEQMODELS_THREADS"));
    }
}
