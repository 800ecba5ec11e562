//! PostgreSQL through tokio-postgres, connections pooled by deadpool.
//!
//! The store's callers are synchronous (the daemon runs them on blocking threads), so each
//! call waits here for its future. The connections' tasks run on a small runtime of their
//! own, so a call works the same from a blocking thread, a plain thread, or a test: it
//! enters that runtime (for the socket and the spawned connection task a new connection
//! needs) and blocks on the future with `futures-executor`, which, unlike a runtime's
//! `block_on`, never refuses to run inside another runtime.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::BytesMut;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Error, Result, ValueRef};

/// Connections a process keeps to one database: the daemon's writer and courier, `serve`'s
/// readers, and room for a migration's two sides.
const POOL_SIZE: usize = 16;

/// A PostgreSQL database to connect to, its password never shown.
#[derive(Clone)]
pub struct PgTarget {
    config: tokio_postgres::Config,
    /// user@host:port/dbname, for messages.
    shown: String,
    /// The pool's key: the address as given (with any password) and the password taken
    /// from elsewhere.
    key: String,
    /// TLS, when the address asks for it (`sslmode=require`, `verify-ca`, `verify-full`).
    tls: Option<MakeRustlsConnect>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgTarget({})", self.shown)
    }
}

impl PgTarget {
    /// Reads a `postgres://` (or `postgresql://`) address. The password comes from the
    /// address, else `password` (the config's file), else `PGPASSWORD`.
    pub fn parse(url: &str, password: Option<&str>) -> std::result::Result<PgTarget, String> {
        let (plain, tls) = tls_of(url)?;
        let mut config: tokio_postgres::Config = plain
            .parse()
            .map_err(|e| format!("cannot read the PostgreSQL address: {e}"))?;
        if config.get_password().is_none() {
            if let Some(p) = password {
                config.password(p);
            } else if let Ok(p) = std::env::var("PGPASSWORD")
                && !p.is_empty()
            {
                config.password(p);
            }
        }
        if config.get_user().is_none()
            && let Ok(user) = std::env::var("PGUSER").or_else(|_| std::env::var("USER"))
        {
            config.user(user);
        }
        if config.get_hosts().is_empty() {
            config.host("localhost");
        }
        config.application_name("warta");
        config.connect_timeout(Duration::from_secs(10));
        let host = config
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .collect::<Vec<_>>()
            .join(",");
        let port = config
            .get_ports()
            .first()
            .map_or(String::new(), |p| format!(":{p}"));
        let shown = format!(
            "postgres://{}@{host}{port}/{}",
            config.get_user().unwrap_or(""),
            config.get_dbname().unwrap_or("")
        );
        let key = format!(
            "{url}\u{0}{}",
            config
                .get_password()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
        );
        let tls = match tls {
            Tls::Off => None,
            Tls::Verified { roots } => Some(MakeRustlsConnect::new(tls_config(roots.as_deref())?)),
        };
        Ok(PgTarget {
            config,
            shown,
            key,
            tls,
        })
    }

    /// The same database through connections that cannot write (`serve`'s readers, as
    /// SQLite's readers are `query_only`): a pool of their own.
    ///
    /// Readers also plan every statement for its own arguments: a search is prepared once
    /// and run with very different words, and a plan made for a rare word (read its few
    /// matches) is wrong for a common one, while PostgreSQL would settle on one plan for
    /// all after five runs. The writer's statements keep their cached plans: planning each
    /// of its twenty statements an article cost a quarter of the ingest rate. The
    /// address's own options come after the plan setting (theirs wins) and before
    /// read-only (which stays).
    pub fn read_only(&self) -> PgTarget {
        let mut config = self.config.clone();
        let options = config.get_options().unwrap_or_default();
        config.options(format!(
            "-c plan_cache_mode=force_custom_plan {options} -c default_transaction_read_only=on"
        ));
        PgTarget {
            config,
            shown: self.shown.clone(),
            key: format!("{}\u{0}read-only", self.key),
            tls: self.tls.clone(),
        }
    }

    /// The address without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// What an address says of TLS.
enum Tls {
    Off,
    /// The server's certificate checked against `roots` (a PEM file, libpq's
    /// `sslrootcert`), else the system's trusted authorities, and its name against the host.
    Verified {
        roots: Option<PathBuf>,
    },
}

/// `url` as tokio-postgres reads it, and its TLS. libpq's `sslmode=verify-ca` and
/// `verify-full` mean TLS with the certificate checked (tokio-postgres knows only
/// `require`, and leaves checking to the connector, which here always checks the chain and
/// the host name); `sslrootcert` names the authorities to trust. Without `require` or
/// stronger there is no TLS, as before: `prefer` does not fall back to plain text when a
/// certificate fails to verify, so a server with a self-signed certificate (Debian's
/// default) would become unreachable.
fn tls_of(url: &str) -> std::result::Result<(String, Tls), String> {
    let Some((head, query)) = url.split_once('?') else {
        return Ok((url.to_string(), Tls::Off));
    };
    let mut kept = Vec::new();
    let (mut mode, mut roots) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = url::form_urlencoded::parse(pair.as_bytes())
            .next()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .unwrap_or_default();
        match key.as_str() {
            "sslmode" => {
                mode = Some(value);
                kept.push(match mode.as_deref() {
                    Some("verify-ca" | "verify-full") => "sslmode=require".to_string(),
                    _ => pair.to_string(),
                });
            }
            "sslrootcert" => roots = Some(PathBuf::from(value)),
            _ => kept.push(pair.to_string()),
        }
    }
    let plain = if kept.is_empty() {
        head.to_string()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    let tls = match mode.as_deref() {
        Some("require" | "verify-ca" | "verify-full") => Tls::Verified { roots },
        _ if roots.is_some() => {
            return Err(
                "sslrootcert is given without sslmode=verify-full (or require): add it to use TLS"
                    .into(),
            );
        }
        _ => Tls::Off,
    };
    Ok((plain, tls))
}

/// The TLS client: rustls on aws-lc-rs (the HTTP client's), trusting `roots` or the system.
fn tls_config(roots: Option<&Path>) -> std::result::Result<rustls::ClientConfig, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let Some(path) = roots else {
        return builder
            .with_platform_verifier()
            .map(|b| b.with_no_client_auth())
            .map_err(|e| format!("cannot read the system's trusted certificates: {e}"));
    };
    let shown = path.display();
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read sslrootcert {shown}: {e}"))?
    {
        let cert = cert.map_err(|e| format!("sslrootcert {shown}: {e}"))?;
        store
            .add(cert)
            .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
    }
    if store.is_empty() {
        return Err(format!("sslrootcert {shown} holds no certificate"));
    }
    Ok(builder.with_root_certificates(store).with_no_client_auth())
}

fn passwords() -> &'static Mutex<HashMap<String, String>> {
    static PASSWORDS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    PASSWORDS.get_or_init(Default::default)
}

/// Remembers the password for the archive at `url` (`[archive] password_file`, read with
/// the config), for every connection this process opens to it.
pub fn remember_password(url: &str, password: &str) {
    if let Ok(mut p) = passwords().lock() {
        p.insert(url.to_string(), password.to_string());
    }
}

/// The password remembered for `url`.
pub fn password_for(url: &str) -> Option<String> {
    passwords().lock().ok()?.get(url).cloned()
}

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("warta-postgres")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the PostgreSQL connections' runtime: {e}"))
    })
    .as_ref()
    .map_err(|e| Error::Pool(e.clone()))
}

/// Waits for `f` on this thread, with the connections' runtime entered.
fn block<F: Future>(f: F) -> Result<F::Output> {
    let _entered = runtime()?.enter();
    Ok(futures_executor::block_on(f))
}

fn pools() -> &'static Mutex<HashMap<String, Pool>> {
    static POOLS: OnceLock<Mutex<HashMap<String, Pool>>> = OnceLock::new();
    POOLS.get_or_init(Default::default)
}

fn pool(target: &PgTarget) -> Result<Pool> {
    let mut pools = pools()
        .lock()
        .map_err(|_| Error::Pool("the connection pools' lock was poisoned".into()))?;
    if let Some(p) = pools.get(&target.key) {
        return Ok(p.clone());
    }
    let recycling = || ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match &target.tls {
        Some(tls) => Manager::from_config(target.config.clone(), tls.clone(), recycling()),
        None => Manager::from_config(target.config.clone(), NoTls, recycling()),
    };
    let pool = Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(Duration::from_secs(15)))
        .wait_timeout(Some(Duration::from_secs(120)))
        .build()
        .map_err(|e| Error::Pool(format!("{}: {e}", target.shown)))?;
    pools.insert(target.key.clone(), pool.clone());
    Ok(pool)
}

/// One pooled connection, returned to its pool when dropped.
pub struct PgConn {
    client: deadpool_postgres::Object,
}

impl PgConn {
    pub fn get(target: &PgTarget) -> Result<PgConn> {
        let pool = pool(target)?;
        let client = block(pool.get())?.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME) =>
            {
                Error::NoDatabase
            }
            deadpool_postgres::PoolError::Backend(e) => {
                let why = describe(&e);
                // The one TLS failure with a remedy in the address itself.
                let hint = if why.contains("UnknownIssuer") {
                    " (name the authority that signed the server's certificate with sslrootcert=FILE in the address)"
                } else {
                    ""
                };
                Error::Pool(format!("cannot connect to PostgreSQL: {why}{hint}"))
            }
            e => Error::Pool(format!("cannot connect to PostgreSQL: {e}")),
        })?;
        Ok(PgConn { client })
    }

    pub fn prepare(&self, sql: &str) -> Result<tokio_postgres::Statement> {
        let sql = translate(sql);
        block(self.client.prepare_cached(&sql))?.map_err(|source| Error::Statement { sql, source })
    }

    pub fn execute(&self, s: &tokio_postgres::Statement, values: &[ValueRef<'_>]) -> Result<usize> {
        let params = bind(s, values)?;
        let n = block(self.client.execute_raw(s, params.iter()))??;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub fn query(
        &self,
        s: &tokio_postgres::Statement,
        values: &[ValueRef<'_>],
    ) -> Result<Vec<tokio_postgres::Row>> {
        let params = bind(s, values)?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        Ok(block(self.client.query(s, &refs))??)
    }

    pub fn batch(&self, sql: &str) -> Result<()> {
        Ok(block(self.client.batch_execute(sql))??)
    }
}

fn bind<'v>(s: &tokio_postgres::Statement, values: &[ValueRef<'v>]) -> Result<Vec<Param<'v>>> {
    if s.params().len() != values.len() {
        return Err(Error::Param(format!(
            "the statement takes {} parameters, {} were given",
            s.params().len(),
            values.len()
        )));
    }
    Ok(values.iter().map(|v| Param(*v)).collect())
}

/// A server error's message, detail and code; a connection error as it came.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// An SQLite statement as PostgreSQL reads it: placeholders (`?1`, `?`) become `$1`
/// (outside quotes; a bare `?` takes the number after the largest seen so far, as in
/// SQLite), and two SQLite idioms the store's statements use are rewritten: `+?1`, a unary
/// plus that only steers SQLite's planner, loses its plus (PostgreSQL has none for text),
/// `INSERT OR IGNORE INTO …` becomes `INSERT INTO … ON CONFLICT DO NOTHING`, and the
/// elements of a JSON array parameter, `SELECT value FROM json_each(?N)`, are read with
/// `json_array_elements_text`. Anything else that differs is written per dialect where
/// the statement is.
fn translate(sql: &str) -> String {
    let (mut body, ignore) = match sql.trim_start().strip_prefix("INSERT OR IGNORE INTO") {
        Some(rest) => (format!("INSERT INTO{rest}"), true),
        None => (sql.to_string(), false),
    };
    const EACH: &str = "SELECT value FROM json_each(?";
    while let Some(at) = body.find(EACH) {
        let rest = &body[at + EACH.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || !rest[digits.len()..].starts_with(')') {
            break;
        }
        let replaced = format!(
            "SELECT value FROM json_array_elements_text(?{digits}::text::json) AS j(value)"
        );
        body.replace_range(at..at + EACH.len() + digits.len() + 1, &replaced);
    }
    let mut out = String::with_capacity(body.len() + 32);
    let mut chars = body.chars().peekable();
    let mut quote: Option<char> = None;
    let mut largest = 0u32;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            // A comment runs to the end of its line (an apostrophe in it is no quote).
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = digits.parse::<u32>().unwrap_or(largest + 1);
                largest = largest.max(n);
                if out.ends_with('+') {
                    out.pop();
                }
                out.push('$');
                out.push_str(&n.to_string());
            }
            c => out.push(c),
        }
    }
    if ignore {
        let end = out.trim_end().trim_end_matches(';').trim_end().len();
        out.truncate(end);
        out.push_str(" ON CONFLICT DO NOTHING");
    }
    out
}

/// A dynamically typed value bound as whatever type the server inferred for its
/// parameter, as SQLite would have taken it.
#[derive(Debug)]
struct Param<'a>(ValueRef<'a>);

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::FLOAT4 => (i as f32).to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    i.to_string().to_sql(&Type::TEXT, out)
                }
                _ => Err(format!("an integer where {ty} is expected").into()),
            },
            ValueRef::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (f as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => {
                    f.to_string().to_sql(&Type::TEXT, out)
                }
                _ => Err(format!("a real number where {ty} is expected").into()),
            },
            ValueRef::Text(s) => match *ty {
                Type::BYTEA => s.as_bytes().to_sql(ty, out),
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.parse::<f64>()?.to_sql(ty, out),
                _ => s.to_sql(&Type::TEXT, out),
            },
            ValueRef::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(format!("a blob where {ty} is expected").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Column `i` of a row as SQLite would type it.
pub fn value(row: &tokio_postgres::Row, i: usize) -> Result<ValueRef<'_>> {
    let column = |e: tokio_postgres::Error| Error::Column {
        column: i,
        problem: e.to_string(),
    };
    let ty = row
        .columns()
        .get(i)
        .ok_or_else(|| Error::Column {
            column: i,
            problem: format!("the row has {} columns", row.len()),
        })?
        .type_()
        .clone();
    fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> ValueRef<'static>) -> ValueRef<'static> {
        v.map_or(ValueRef::Null, f)
    }
    Ok(match ty {
        Type::INT8 => or_null(
            row.try_get::<_, Option<i64>>(i).map_err(column)?,
            ValueRef::Integer,
        ),
        Type::INT4 => or_null(row.try_get::<_, Option<i32>>(i).map_err(column)?, |v| {
            ValueRef::Integer(v.into())
        }),
        Type::INT2 => or_null(row.try_get::<_, Option<i16>>(i).map_err(column)?, |v| {
            ValueRef::Integer(v.into())
        }),
        Type::OID => or_null(row.try_get::<_, Option<u32>>(i).map_err(column)?, |v| {
            ValueRef::Integer(v.into())
        }),
        Type::BOOL => or_null(row.try_get::<_, Option<bool>>(i).map_err(column)?, |v| {
            ValueRef::Integer(v.into())
        }),
        Type::FLOAT8 => or_null(
            row.try_get::<_, Option<f64>>(i).map_err(column)?,
            ValueRef::Real,
        ),
        Type::FLOAT4 => or_null(row.try_get::<_, Option<f32>>(i).map_err(column)?, |v| {
            ValueRef::Real(v.into())
        }),
        Type::NUMERIC => match row.try_get::<_, Option<Numeric>>(i).map_err(column)? {
            None => ValueRef::Null,
            Some(Numeric::Int(n)) => ValueRef::Integer(n),
            Some(Numeric::Real(f)) => ValueRef::Real(f),
        },
        Type::BYTEA => match row.try_get::<_, Option<&[u8]>>(i).map_err(column)? {
            None => ValueRef::Null,
            Some(b) => ValueRef::Blob(b),
        },
        _ => match row.try_get::<_, Option<&str>>(i) {
            Ok(None) => ValueRef::Null,
            Ok(Some(s)) => ValueRef::Text(s),
            Err(_) => {
                return Err(Error::Column {
                    column: i,
                    problem: format!("a value of type {ty}, which warta does not read"),
                });
            }
        },
    })
}

/// A NUMERIC (what `sum()` of integers gives), read as an integer when it is a whole
/// number that fits, else as a float.
enum Numeric {
    Int(i64),
    Real(f64),
}

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> std::result::Result<Numeric, BoxError> {
        let word = |i: usize| -> std::result::Result<i16, BoxError> {
            raw.get(i * 2..i * 2 + 2)
                .map(|b| i16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "a NUMERIC value cut short".into())
        };
        let (ndigits, weight, sign) = (word(0)?, word(1)?, word(2)? as u16);
        if sign == 0xC000 {
            return Ok(Numeric::Real(f64::NAN));
        }
        let mut whole: i128 = 0;
        let mut frac = 0f64;
        let mut fits = true;
        for k in 0..ndigits.max(0) as usize {
            let digit = word(4 + k)?;
            let power = i32::from(weight) - k as i32;
            if power >= 0 {
                match 10000i128
                    .checked_pow(power as u32)
                    .and_then(|p| p.checked_mul(i128::from(digit)))
                    .and_then(|v| whole.checked_add(v))
                {
                    Some(v) => whole = v,
                    None => fits = false,
                }
            } else {
                frac += f64::from(digit) * 10000f64.powi(power);
            }
        }
        let negative = sign == 0x4000;
        if fits && frac == 0.0 {
            let v = if negative { -whole } else { whole };
            if let Ok(v) = i64::try_from(v) {
                return Ok(Numeric::Int(v));
            }
        }
        let v = whole as f64 + frac;
        Ok(Numeric::Real(if negative { -v } else { v }))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn placeholders_are_numbered_as_sqlite_numbers_them() {
        assert_eq!(
            translate("SELECT ?1, ?2 WHERE a = ?1"),
            "SELECT $1, $2 WHERE a = $1"
        );
        assert_eq!(translate("VALUES (?, ?, ?5, ?)"), "VALUES ($1, $2, $5, $6)");
        assert_eq!(
            translate("SELECT '?1' || ?1 || \"a?\""),
            "SELECT '?1' || $1 || \"a?\""
        );
    }

    #[test]
    fn sqlite_idioms_are_rewritten() {
        assert_eq!(
            translate("SELECT id FROM t WHERE f = +?1 AND n = m + ?2"),
            "SELECT id FROM t WHERE f = $1 AND n = m + $2"
        );
        assert_eq!(
            translate("f IN (SELECT value FROM json_each(?3)) AND ?3 = '[]'"),
            "f IN (SELECT value FROM json_array_elements_text($3::text::json) AS j(value)) AND $3 = '[]'"
        );
        assert_eq!(
            translate("SELECT ?1 -- the story's\n FROM t WHERE x = ?2"),
            "SELECT $1 -- the story's\n FROM t WHERE x = $2"
        );
        assert_eq!(
            translate("INSERT OR IGNORE INTO k (a, b) VALUES (?1, ?2);\n"),
            "INSERT INTO k (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
    }
}
