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
