//! Read-only connections for the web interface: a few kept open and reused, each used on
//! the blocking pool; a bound on how many read at once, so a burst of requests queues
//! instead of opening connections without end.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::sync::Semaphore;

use crate::error::Error;
use crate::store::{OpenMode, Store, StoreError};

/// Reads at once, and connections kept open between requests.
const READERS: usize = 8;

pub struct Readers {
    db: PathBuf,
    idle: Mutex<Vec<Store>>,
    permits: Semaphore,
}

/// Why a read failed: the archive's error, or the task's.
#[derive(Debug)]
pub enum ReadError {
    Store(StoreError),
    Gone,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Store(e) => write!(f, "{e}"),
            ReadError::Gone => f.write_str("the read was abandoned"),
        }
    }
}

impl From<StoreError> for ReadError {
    fn from(e: StoreError) -> Self {
        ReadError::Store(e)
    }
}

impl Readers {
    /// Opens one connection now, so that a missing or unreadable archive is said at start.
    pub fn open(db: &Path) -> Result<Readers, Error> {
        let first = Store::open_with(db, OpenMode::Read)?;
        Ok(Readers {
            db: db.to_path_buf(),
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(READERS),
        })
    }

    pub fn path(&self) -> &Path {
        &self.db
    }

    /// Runs `f` on a read-only connection.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ReadError> {
        let _permit = self.permits.acquire().await.map_err(|_| ReadError::Gone)?;
        let kept = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let store = match kept {
            Some(s) => s,
            None => {
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || Store::open_with(&db, OpenMode::Read))
                    .await
                    .map_err(|_| ReadError::Gone)??
            }
        };
        let (store, result) = tokio::task::spawn_blocking(move || {
            let r = f(&store);
            (store, r)
        })
        .await
        .map_err(|_| ReadError::Gone)?;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS {
            idle.push(store);
        }
        Ok(result?)
    }
}
