//! Work side by side on scoped threads, a panic on either side carried on to the caller.

use std::thread::{Scope, ScopedJoinHandle, scope};

/// The result of a thread that ran to its end; a panic there carries on here.
pub(crate) fn join<T>(h: ScopedJoinHandle<'_, T>) -> T {
    match h.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// `a` and `b` side by side: `b` on a thread of its own, `a` on this one.
pub(crate) fn both<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    scope(|s: &Scope<'_, '_>| {
        let later = s.spawn(b);
        let first = a();
        (first, join(later))
    })
}

/// Free `value`, on a thread of its own when it holds `resources` planned resources or more
/// than [`LARGE`]. A planned fleet, its ARM spelling and its report are millions of small
/// allocations: freeing them takes a noticeable share of a run, which the caller need not wait
/// for, and a process that ends first skips the work. A small value is freed here, quicker than
/// a thread starts.
pub(crate) fn discard<T: Send + 'static>(value: T, resources: usize) {
    if resources > LARGE {
        std::thread::spawn(move || drop(value));
    }
}

/// About ten spokes' worth of resources.
const LARGE: usize = 1000;
