//! Running third-party parsing code that may panic on hostile input (feed-rs is known to,
//! see DESIGN.md) without letting a bad page take the process down or print a panic
//! message at the user: the panic becomes an error value, and only panics outside
//! [`isolated`] reach the default hook.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}
static HOOK: Once = Once::new();

/// Runs `f`; a panic inside it is returned as its message instead of unwinding further.
pub fn isolated<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    outcome.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::isolated;

    #[test]
    fn a_panic_becomes_its_message() {
        let r: Result<(), String> = isolated(|| panic!("boom at byte 7"));
        assert_eq!(r.unwrap_err(), "boom at byte 7");
        assert_eq!(isolated(|| 41 + 1), Ok(42));
    }
}
