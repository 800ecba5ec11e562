//! Alerts of saved searches (issue 16): what a watch found, sent where it asks. Matching
//! happens in the write (`store::watches`); every alert waits in the archive's outbox until
//! a target took it, so a restart loses none, and carries a key that stays the same over
//! retries, so a target that heeds it never shows one twice.

pub mod email;

/// Why an alert did not reach its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// What went wrong, naming no secret (no token, password or webhook path).
    pub message: String,
    /// Trying again cannot help (the target refused the alert itself, not for now): the
    /// alert still gets its retries, but the error says so.
    pub permanent: bool,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> SendError {
        SendError {
            message: message.into(),
            permanent: false,
        }
    }

    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            message: message.into(),
            permanent: true,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
