//! The two kinds of failure the command line distinguishes.
//!
//! A [`Usage`](Error::Usage) error is the caller's to fix (bad flag, bad config, bad query,
//! unknown feed or id) and exits 2; a [`Failure`](Error::Failure) is something that went wrong
//! while running (a feed that could not be polled, an unusable database) and exits 1. Module
//! errors carry the thing at fault in their message; this type only sorts them.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    Usage(String),
    Failure(String),
}

impl Error {
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
    pub fn failure(msg: impl Into<String>) -> Self {
        Error::Failure(msg.into())
    }
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Failure(_) => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Failure(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_wrong_file() {
            Error::Usage(e.to_string())
        } else {
            Error::Failure(e.to_string())
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
