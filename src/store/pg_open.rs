//! Opening a PostgreSQL archive: connecting, telling a warta database from an empty or a
//! foreign one, and bringing the schema up to date (`pg_schema.rs`).

use std::path::PathBuf;

use super::db::{Conn, OptionalExtension, PgTarget};
use super::{OpenMode, Store, StoreError, pg_schema, sql_err};

/// Serializes schema changes between processes starting at once (any constant both
/// agree on; "warta" in ASCII).
const MIGRATION_LOCK: i64 = 0x0077_6172_7461;

pub(super) fn open(url: &str, mode: OpenMode) -> Result<Store, StoreError> {
    let target = PgTarget::parse(url, super::db::password_for(url).as_deref()).map_err(|e| {
        StoreError::Unusable {
            path: PathBuf::from(shown_without_password(url)),
            problem: e,
        }
    })?;
    let store = connect(&target)?;
    let path = store.path.clone();
    let err = |e| sql_err(&path, e);
    let version = version(&store.conn).map_err(err)?;
    match (version, mode) {
        (None, OpenMode::Read | OpenMode::Write) => {
            return Err(StoreError::Empty { path });
        }
        (None, OpenMode::Create) => {
            if let Some(table) = foreign_table(&store.conn).map_err(err)? {
                return Err(StoreError::Foreign {
                    path,
                    why: format!("it has a table {table:?} and no warta schema"),
                });
            }
        }
        (Some(v), _) if v > known() => {
            return Err(StoreError::TooNew {
                path,
                found: v,
                known: known(),
            });
        }
        _ => {}
    }
    migrate(&store.conn).map_err(err)?;
    let mut store = store;
    store.refresh_name_keys()?;
    if mode == OpenMode::Read {
        // Brought up to date above; from here on it only reads.
        return connect(&target.read_only());
    }
    Ok(store)
}

/// A connection from the pool, as a store; the schema is not looked at.
pub(super) fn connect(target: &PgTarget) -> Result<Store, StoreError> {
    let path = PathBuf::from(target.shown());
    let conn = Conn::postgres(target).map_err(|e| match e {
        super::db::Error::NoDatabase => StoreError::NoDatabase { path: path.clone() },
        e => sql_err(&path, e),
    })?;
    Ok(Store {
        conn,
        path,
        clean: None,
        watches: None,
        pg: Some(target.clone()),
    })
}

fn known() -> i64 {
    pg_schema::MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The archive's schema version; None when the database has no warta schema.
fn version(conn: &Conn) -> super::db::Result<Option<i64>> {
    let exists: bool =
        conn.query_row("SELECT to_regclass('warta_schema') IS NOT NULL", [], |r| {
            r.get(0)
        })?;
    if !exists {
        return Ok(None);
    }
    conn.query_row("SELECT max(version) FROM warta_schema", [], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// A table of someone else's in the database warta was told to create its archive in.
fn foreign_table(conn: &Conn) -> super::db::Result<Option<String>> {
    conn.query_row(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
         ORDER BY table_name LIMIT 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Applies the migrations the archive lacks, each in its own transaction, under a lock
/// that a second process starting at the same moment waits on.
fn migrate(conn: &Conn) -> super::db::Result<()> {
    for (v, sql) in pg_schema::MIGRATIONS {
        let tx = conn.unchecked_transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(?1)", [MIGRATION_LOCK])?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS warta_schema (version BIGINT PRIMARY KEY)")?;
        let current: Option<i64> =
            tx.query_row("SELECT max(version) FROM warta_schema", [], |r| r.get(0))?;
        if current.is_some_and(|c| c >= *v) {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.execute("INSERT INTO warta_schema (version) VALUES (?1)", [*v])?;
        tx.commit()?;
    }
    Ok(())
}

/// A `postgres://` address as it may be shown: any password in it cut out.
pub fn shown_without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
