//! One connection type for the two databases an archive can live in: SQLite (rusqlite,
//! the embedded default) and PostgreSQL (tokio-postgres through a deadpool pool).
//!
//! The store's logic — what a new item does to articles, places and stories, what a search
//! reads — is written once against this module, not once per database: two copies of the
//! dedup rules would drift. Its surface is the part of rusqlite's the store uses
//! (`prepare_cached`, `query_row`, `query_map`, `params!`, `optional()`), so SQLite runs
//! through it with a thin layer. Values cross it SQLite's way, dynamically typed
//! ([`ValueRef`]): a PostgreSQL parameter takes the type the server inferred for it, and a
//! column is read whatever integer or float width it has, so the same statements and row
//! readers serve both. Where the two dialects differ (full-text search, upserts of a
//! maximum, SQLite's pragmas), the caller picks the statement with [`Conn::dialect`].

mod pg;

use std::fmt;

pub use pg::{PgTarget, password_for, remember_password};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    #[error("{}", pg::describe(.0))]
    Pg(#[from] tokio_postgres::Error),
    #[error("{}, in: {sql}", pg::describe(.source))]
    Statement {
        sql: String,
        source: tokio_postgres::Error,
    },
    #[error("{0}")]
    Pool(String),
    /// The server has no database of that name.
    #[error("no such database")]
    NoDatabase,
    #[error("query returned no rows")]
    NoRows,
    #[error("column {column}: {problem}")]
    Column { column: usize, problem: String },
    #[error("parameter: {0}")]
    Param(String),
}

impl Error {
    pub fn sqlite(&self) -> Option<&rusqlite::Error> {
        match self {
            Error::Sqlite(e) => Some(e),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// rusqlite's "no rows" is this module's, so that [`OptionalExtension`] has one to look for.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Sqlite(e),
        }
    }
}

/// `query_row` that found nothing as `None`, as rusqlite's extension of the same name.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which SQL a statement must be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value as SQLite types it: what a parameter binds and what a column reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// An owned [`ValueRef`], for parameters built up at run time (search's filters).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Null, Value::Text)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::Null, Value::Integer)
    }
}

/// What can be bound as a parameter.
pub trait ToSql {
    fn to_sql(&self) -> Result<ValueRef<'_>>;
}

macro_rules! int_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> Result<ValueRef<'_>> {
                i64::try_from(*self)
                    .map(ValueRef::Integer)
                    .map_err(|_| Error::Param(format!("{} does not fit a 64-bit integer", self)))
            }
        }
    )*};
}
int_to_sql!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl ToSql for bool {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Integer(i64::from(*self)))
    }
}

impl ToSql for f64 {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Real(*self))
    }
}

impl ToSql for f32 {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Real(f64::from(*self)))
    }
}

impl ToSql for str {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}

impl ToSql for String {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Blob(self))
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Blob(self))
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(self.as_ref())
    }
}

impl ToSql for ValueRef<'_> {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(*self)
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        match self {
            Some(v) => v.to_sql(),
            None => Ok(ValueRef::Null),
        }
    }
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        (**self).to_sql()
    }
}

/// A statement's parameters, in order.
pub trait Params {
    fn values(&self) -> Result<Vec<ValueRef<'_>>>;
}

impl<T: ToSql> Params for &[T] {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        self.iter().map(ToSql::to_sql).collect()
    }
}

// One implementation per length, not one for every `N`, so that `[]` (no parameters)
// has a type to be inferred as: `[&dyn ToSql; 0]`.
impl Params for [&dyn ToSql; 0] {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        Ok(Vec::new())
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn values(&self) -> Result<Vec<ValueRef<'_>>> {
                self.iter().map(ToSql::to_sql).collect()
            }
        }
        impl<T: ToSql> Params for &[T; $n] {
            fn values(&self) -> Result<Vec<ValueRef<'_>>> {
                self.iter().map(ToSql::to_sql).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);

pub struct ParamsFromIter<T>(Vec<T>);

impl<T: ToSql> Params for ParamsFromIter<T> {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        self.0.iter().map(ToSql::to_sql).collect()
    }
}

pub fn params_from_iter<I: IntoIterator>(iter: I) -> ParamsFromIter<I::Item>
where
    I::Item: ToSql,
{
    ParamsFromIter(iter.into_iter().collect())
}

/// `params![a, b, …]`, as rusqlite's: parameters of different types in one list.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::store::db::ToSql]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::db::ToSql),+] as &[&dyn $crate::store::db::ToSql]
    };
}
pub(crate) use params;

/// What a column can be read as.
pub trait FromSql: Sized {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String>;
}

fn wrong(v: ValueRef<'_>, want: &str) -> String {
    let got = match v {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    };
    format!("{got} where {want} was expected")
}

macro_rules! int_from_sql {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
                match v {
                    ValueRef::Integer(i) => <$t>::try_from(i)
                        .map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    v => Err(wrong(v, "an integer")),
                }
            }
        }
    )*};
}
int_from_sql!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl FromSql for bool {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Integer(i) => Ok(i != 0),
            v => Err(wrong(v, "a boolean")),
        }
    }
}

impl FromSql for f64 {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Integer(i) => Ok(i as f64),
            v => Err(wrong(v, "a number")),
        }
    }
}

impl FromSql for String {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Text(s) => Ok(s.to_string()),
            v => Err(wrong(v, "text")),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            v => Err(wrong(v, "a blob")),
        }
    }
}

impl FromSql for Value {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
        Ok(match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_string()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(v: ValueRef<'_>) -> Result<Self, String> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::from_sql(v).map(Some),
        }
    }
}

/// A column's position; a trait (with one implementation) rather than `usize` so that
/// the call sites read as rusqlite's.
pub trait RowIndex {
    fn index(self) -> usize;
}

impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result.
pub struct Row<'a> {
    inner: RowInner<'a>,
}

enum RowInner<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Pg(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `idx` as `T`. The first type parameter is the index's, as in rusqlite, so
    /// that `r.get::<_, i64>(0)` reads the same.
    pub fn get<I: RowIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        let column = idx.index();
        let v = self.get_ref(column)?;
        T::from_sql(v).map_err(|problem| Error::Column { column, problem })
    }

    pub fn get_ref(&self, column: usize) -> Result<ValueRef<'_>> {
        match &self.inner {
            RowInner::Sqlite(r) => Ok(match r.get_ref(column)? {
                rusqlite::types::ValueRef::Null => ValueRef::Null,
                rusqlite::types::ValueRef::Integer(i) => ValueRef::Integer(i),
                rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
                rusqlite::types::ValueRef::Text(t) => {
                    ValueRef::Text(std::str::from_utf8(t).map_err(|e| Error::Column {
                        column,
                        problem: format!("text that is not UTF-8: {e}"),
                    })?)
                }
                rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
            }),
            RowInner::Pg(r) => pg::value(r, column),
        }
    }
}

/// A connection to either database.
pub struct Conn {
    inner: ConnInner,
}

enum ConnInner {
    Sqlite(rusqlite::Connection),
    Pg(pg::PgConn),
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.inner {
            ConnInner::Sqlite(_) => "Conn(SQLite)",
            ConnInner::Pg(_) => "Conn(PostgreSQL)",
        })
    }
}

impl From<rusqlite::Connection> for Conn {
    fn from(c: rusqlite::Connection) -> Conn {
        Conn {
            inner: ConnInner::Sqlite(c),
        }
    }
}

impl Conn {
    /// A connection from the pool of the PostgreSQL database `target` names.
    pub fn postgres(target: &PgTarget) -> Result<Conn> {
        Ok(Conn {
            inner: ConnInner::Pg(pg::PgConn::get(target)?),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            ConnInner::Sqlite(_) => Dialect::Sqlite,
            ConnInner::Pg(_) => Dialect::Postgres,
        }
    }

    pub fn is_pg(&self) -> bool {
        self.dialect() == Dialect::Postgres
    }

    /// The statement written for this connection's dialect.
    pub fn pick<'s>(&self, sqlite: &'s str, postgres: &'s str) -> &'s str {
        match self.dialect() {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }

    /// The SQLite connection underneath, for what only SQLite has (pragmas, backups,
    /// page-level salvage).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            ConnInner::Sqlite(c) => Some(c),
            ConnInner::Pg(_) => None,
        }
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            inner: match &self.inner {
                ConnInner::Sqlite(c) => {
                    StmtInner::Sqlite(SqliteStmt::Cached(c.prepare_cached(sql)?))
                }
                ConnInner::Pg(c) => StmtInner::Pg(c, c.prepare(sql)?),
            },
        })
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            inner: match &self.inner {
                ConnInner::Sqlite(c) => StmtInner::Sqlite(SqliteStmt::Once(c.prepare(sql)?)),
                ConnInner::Pg(c) => StmtInner::Pg(c, c.prepare(sql)?),
            },
        })
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            ConnInner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            ConnInner::Pg(c) => c.batch(sql),
        }
    }

    pub fn query_row<P, T, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// The id of the row the last INSERT on this connection made (PostgreSQL: the last
    /// value a sequence gave it, which an INSERT into a table with an identity id takes).
    pub fn last_insert_rowid(&self) -> Result<i64> {
        match &self.inner {
            ConnInner::Sqlite(c) => Ok(c.last_insert_rowid()),
            ConnInner::Pg(_) => self.query_row("SELECT lastval()", [], |r| r.get(0)),
        }
    }

    /// A writing transaction: SQLite's IMMEDIATE (the write lock taken at once, so that two
    /// writers wait rather than fail halfway), PostgreSQL's READ COMMITTED.
    ///
    /// On PostgreSQL every writing transaction also takes one advisory lock, held to its
    /// end, so that writers run one at a time as they do on SQLite: deciding whether an
    /// article is new (its URL keys, its fingerprint, its near duplicates' bands) and
    /// writing it must not interleave with another daemon doing the same for a copy of
    /// it, or both would find nothing and the story would be split. The pages are
    /// fetched and extracted outside, in parallel; only the short writes wait.
    pub fn transaction(&self) -> Result<Transaction<'_>> {
        self.execute_batch(self.pick(
            "BEGIN IMMEDIATE",
            "BEGIN; SELECT pg_advisory_xact_lock(2003792492)",
        ))?;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    /// A transaction that starts reading and takes a write lock only when it writes:
    /// several reads against one snapshot.
    pub fn unchecked_transaction(&self) -> Result<Transaction<'_>> {
        self.execute_batch(self.pick("BEGIN DEFERRED", "BEGIN"))?;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }
}

/// An open transaction; rolled back when dropped without [`Transaction::commit`].
pub struct Transaction<'c> {
    conn: &'c Conn,
    done: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let result = self.conn.execute_batch("COMMIT");
        if result.is_err() {
            // A failed COMMIT (SQLite: busy) leaves the transaction open.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A prepared statement.
pub struct Statement<'c> {
    inner: StmtInner<'c>,
}

enum StmtInner<'c> {
    Sqlite(SqliteStmt<'c>),
    Pg(&'c pg::PgConn, tokio_postgres::Statement),
}

/// An SQLite statement from the connection's cache or prepared for once.
enum SqliteStmt<'c> {
    Cached(rusqlite::CachedStatement<'c>),
    Once(rusqlite::Statement<'c>),
}

impl<'c> std::ops::Deref for SqliteStmt<'c> {
    type Target = rusqlite::Statement<'c>;
    fn deref(&self) -> &rusqlite::Statement<'c> {
        match self {
            SqliteStmt::Cached(s) => s,
            SqliteStmt::Once(s) => s,
        }
    }
}

impl std::ops::DerefMut for SqliteStmt<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            SqliteStmt::Cached(s) => s,
            SqliteStmt::Once(s) => s,
        }
    }
}

/// Rows mapped by a closure, in order.
pub type MappedRows<'s, T> = Box<dyn Iterator<Item = Result<T>> + 's>;

impl<'c> Statement<'c> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values()?;
        match &mut self.inner {
            StmtInner::Pg(c, s) => c.execute(s, &values),
            StmtInner::Sqlite(s) => {
                Ok(s.execute(rusqlite::params_from_iter(values.iter().map(Bind)))?)
            }
        }
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
    }

    pub fn query_row<P, T, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(row) => f(&row),
            None => Err(Error::NoRows),
        }
    }

    pub fn query_map<'s, P, T, F>(&'s mut self, params: P, mut f: F) -> Result<MappedRows<'s, T>>
    where
        P: Params,
        T: 's,
        F: FnMut(&Row<'_>) -> Result<T> + 's,
    {
        let values = params.values()?;
        match &mut self.inner {
            StmtInner::Pg(c, s) => {
                let rows = c.query(s, &values)?;
                Ok(Box::new(rows.into_iter().map(move |r| {
                    f(&Row {
                        inner: RowInner::Pg(&r),
                    })
                })))
            }
            StmtInner::Sqlite(s) => sqlite_map(s, &values, f),
        }
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        let values = params.values()?;
        let inner = match &mut self.inner {
            StmtInner::Pg(c, s) => RowsInner::Pg {
                rows: c.query(s, &values)?.into_iter(),
                current: None,
            },
            StmtInner::Sqlite(s) => {
                RowsInner::Sqlite(s.query(rusqlite::params_from_iter(values.iter().map(Bind)))?)
            }
        };
        Ok(Rows { inner })
    }
}

fn sqlite_map<'s, T, F>(
    s: &'s mut rusqlite::Statement<'_>,
    values: &[ValueRef<'_>],
    mut f: F,
) -> Result<MappedRows<'s, T>>
where
    T: 's,
    F: FnMut(&Row<'_>) -> Result<T> + 's,
{
    let rows = s.query_and_then(
        rusqlite::params_from_iter(values.iter().map(Bind)),
        move |r| -> Result<T> {
            f(&Row {
                inner: RowInner::Sqlite(r),
            })
        },
    )?;
    Ok(Box::new(rows))
}

/// Rows read one at a time.
pub struct Rows<'s> {
    inner: RowsInner<'s>,
}

enum RowsInner<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Pg {
        rows: std::vec::IntoIter<tokio_postgres::Row>,
        current: Option<tokio_postgres::Row>,
    },
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match &mut self.inner {
            RowsInner::Sqlite(rows) => Ok(rows.next()?.map(|r| Row {
                inner: RowInner::Sqlite(r),
            })),
            RowsInner::Pg { rows, current } => {
                *current = rows.next();
                Ok(current.as_ref().map(|r| Row {
                    inner: RowInner::Pg(r),
                }))
            }
        }
    }
}

/// A [`ValueRef`] bound to an SQLite statement.
struct Bind<'a, 'v>(&'a ValueRef<'v>);

impl rusqlite::ToSql for Bind<'_, '_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as V};
        Ok(ToSqlOutput::Borrowed(match *self.0 {
            ValueRef::Null => V::Null,
            ValueRef::Integer(i) => V::Integer(i),
            ValueRef::Real(f) => V::Real(f),
            ValueRef::Text(s) => V::Text(s.as_bytes()),
            ValueRef::Blob(b) => V::Blob(b),
        }))
    }
}

impl From<Error> for rusqlite::Error {
    fn from(e: Error) -> rusqlite::Error {
        match e {
            Error::Sqlite(e) => e,
            Error::NoRows => rusqlite::Error::QueryReturnedNoRows,
            e => rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        }
    }
}
