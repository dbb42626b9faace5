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

/// `f` over each of `parts`, the first on this thread and every other on a thread of its own;
/// the results in the order of the parts.
pub(crate) fn each<P: Sync, T: Send>(parts: &[P], f: impl Fn(&P) -> T + Sync) -> Vec<T> {
    let Some((first, rest)) = parts.split_first() else {
        return Vec::new();
    };
    if rest.is_empty() {
        return vec![f(first)];
    }
    let f = &f;
    scope(|s: &Scope<'_, '_>| {
        let later: Vec<_> = rest.iter().map(|p| s.spawn(move || f(p))).collect();
        let mut all = Vec::with_capacity(parts.len());
        all.push(f(first));
        all.extend(later.into_iter().map(join));
        all
    })
}
