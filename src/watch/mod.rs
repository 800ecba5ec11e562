//! Alerts of saved searches (issue 16): what a watch found, sent where it asks. Matching
//! happens in the write (`store::watches`); every alert waits in the archive's outbox until
//! a target took it, so a restart loses none, and carries a key that stays the same over
//! retries, so a target that heeds it never shows one twice.

mod atom;
mod courier;
pub mod email;
pub mod message;
mod targets;

use std::sync::atomic::AtomicU64;

pub use courier::{Courier, Round, digest_entries};

/// What the courier did over a run, for `/metrics`.
#[derive(Debug, Default)]
pub struct AlertStats {
    pub sent: AtomicU64,
    /// Tries that failed (each retry counts).
    pub failures: AtomicU64,
    pub gave_up: AtomicU64,
    /// Alerts waiting in the outbox after the latest round.
    pub waiting: AtomicU64,
}

/// HMAC-SHA256 of `body` with `secret`: the `X-Warta-Signature` of a webhook body.
pub fn sign(secret: &[u8], body: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    // Any key length is valid for HMAC; the error case cannot happen.
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        let tag = super::sign(b"Jefe", b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
