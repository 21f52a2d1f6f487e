//! Two small helpers over `pool::parallel_for` that keep results in task
//! order, so parallel code gives the same bits for any thread count.

use crate::linalg::pool;
use std::sync::Mutex;

/// Runs `f(0) … f(n_tasks − 1)` on up to `threads` threads and returns the
/// results in task order.
pub fn parallel_map<R: Send>(
    threads: usize,
    n_tasks: usize,
    f: &(dyn Fn(usize) -> R + Sync),
) -> Vec<R> {
    let slots: Vec<Mutex<Option<R>>> = (0..n_tasks).map(|_| Mutex::new(None)).collect();
    pool::parallel_for(threads, n_tasks, &|t| {
        let r = f(t);
        *slots[t].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("parallel_map: a task did not run")
        })
        .collect()
}

/// Splits `data` into consecutive chunks of `chunk` elements (the last may
/// be shorter) and runs `f(t, chunk_t)` for each on up to `threads` threads;
/// each task owns its chunk. Returns the results in chunk order.
pub fn parallel_chunks_mut<T: Send, R: Send>(
    threads: usize,
    data: &mut [T],
    chunk: usize,
    f: &(dyn Fn(usize, &mut [T]) -> R + Sync),
) -> Vec<R> {
    // Each chunk behind its own (never contended) lock: safe shared access
    // to disjoint parts of one slice from the pool's `Fn` tasks.
    let cells: Vec<Mutex<&mut [T]>> = data.chunks_mut(chunk.max(1)).map(Mutex::new).collect();
    parallel_map(threads, cells.len(), &|t| {
        let mut part = cells[t].lock().unwrap_or_else(|e| e.into_inner());
        f(t, &mut part)
    })
}
