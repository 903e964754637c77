//! The PostgreSQL side of the seam: tokio-postgres connections in a deadpool pool, on a runtime of
//! their own (one thread: it only moves the connections' bytes) so that the branch's blocking code
//! — handlers on tokio's blocking threads, administration commands, tests' synchronous calls inside
//! an async test — waits for a statement the same way from anywhere. A request's work on tokio's
//! blocking pool polls its statements on its own thread ([`on_a_blocking_thread`]); elsewhere a
//! statement is handed to the runtime. Statements are translated once from the shared dialect (`?N`
//! becomes `$N`) and prepared once per pooled connection.
//!
//! The connection string is PostgreSQL's own URL (`postgres://user:password@host:port/db`).
//! TLS follows its `sslmode`: `disable` is plain; `prefer` (the default) tries TLS and falls back
//! to plain when the server has none; `require`, `verify-ca` and `verify-full` insist on TLS, and
//! the server's certificate is always checked against the system's roots (rustls verifies the
//! name too — stricter than libpq's `require`). `pool_size=N` (not a libpq option; taken out
//! before the URL is parsed) sets how many connections one server opens, 16 by default.

use std::future::Future;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

use super::{Result, Row, SqlError, Value};

/// Connections a server keeps to PostgreSQL unless the URL says `pool_size=N`.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The pool and the runtime its connections run on.
#[derive(Clone)]
pub(crate) struct PgStore {
    pool: Pool,
    runtime: Arc<PgRuntime>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("status", &self.pool.status())
            .finish()
    }
}

/// A runtime that may be dropped anywhere (also inside another runtime, as tests do).
struct PgRuntime(Option<tokio::runtime::Runtime>);

impl Drop for PgRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgRuntime {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0
            .as_ref()
            .expect("the runtime runs until dropped")
            .handle()
    }

    /// Runs `work` on the database runtime and waits for it on this thread. On a thread that
    /// [`on_a_blocking_thread`] marked (a request's work on tokio's blocking pool), `work` is
    /// polled right here and only the connection's own task runs on the database runtime: two
    /// threads woken per statement instead of four (measured: the branch on PostgreSQL spent a
    /// quarter of its CPU in the kernel's task switches).
    fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        if BLOCKING.get() {
            return self.handle().block_on(work);
        }
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = sender.send(work.await);
        });
        receiver
            .recv()
            .expect("the database runtime finishes what it was given")
    }
}

thread_local! {
    /// This thread may block on a future (see [`on_a_blocking_thread`]).
    static BLOCKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` with this thread marked as one that may block on the database runtime's futures:
/// call only where no async task runs on this thread (tokio's blocking pool, a plain thread).
/// Inside an async task, blocking on a future would panic; unmarked threads hand the statement
/// to the database runtime instead.
pub(crate) fn on_a_blocking_thread<T>(work: impl FnOnce() -> T) -> T {
    /// Puts the mark back as it was, also when `work` panics (tokio's blocking pool catches the
    /// panic and reuses the thread).
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            BLOCKING.set(self.0);
        }
    }
    let _restore = Restore(BLOCKING.replace(true));
    work()
}

/// The connection string with the options this program reads itself taken out: the URL for
/// tokio-postgres, the pool size, and whether TLS is off.
struct Url {
    postgres: String,
    pool_size: usize,
    tls: bool,
}

fn read_url(url: &str) -> std::result::Result<Url, String> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err("a PostgreSQL database is a URL starting postgres:// or postgresql://".into());
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut pool_size = DEFAULT_POOL_SIZE;
    let mut tls = true;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (key, value) {
            ("pool_size", value) => {
                pool_size = value
                    .parse()
                    .ok()
                    .filter(|size| (1..=1000).contains(size))
                    .ok_or_else(|| {
                        format!("pool_size: {value:?} is not a number from 1 to 1000")
                    })?;
            }
            ("sslmode", "disable") => {
                tls = false;
                kept.push(pair.to_owned());
            }
            ("sslmode", "verify-ca" | "verify-full") => kept.push("sslmode=require".to_owned()),
            _ => kept.push(pair.to_owned()),
        }
    }
    let postgres = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Url {
        postgres,
        pool_size,
        tls,
    })
}

fn tls_connector() -> tokio_postgres_rustls::MakeRustlsConnect {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

impl PgStore {
    /// A pool for `url`; no connection is made until one is needed.
    pub(crate) fn new(url: &str) -> std::result::Result<PgStore, String> {
        let url = read_url(url)?;
        let config: tokio_postgres::Config = url
            .postgres
            .parse()
            .map_err(|error| format!("not a PostgreSQL connection string: {error}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("plkk-postgres")
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the database runtime: {error}"))?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = if url.tls {
            Manager::from_config(config, tls_connector(), manager_config)
        } else {
            Manager::from_config(config, tokio_postgres::NoTls, manager_config)
        };
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(url.pool_size)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|error| format!("cannot make the connection pool: {error}"))?
        };
        Ok(PgStore {
            pool,
            runtime: Arc::new(PgRuntime(Some(runtime))),
        })
    }

    /// A connection from the pool (waiting while all are in use).
    pub(crate) fn connect(&self) -> Result<PgConn> {
        let pool = self.pool.clone();
        let client =
            self.runtime
                .run(async move { pool.get().await })
                .map_err(|error| match error {
                    deadpool_postgres::PoolError::Backend(error) => SqlError::Postgres(error),
                    other => SqlError::Pool(other.to_string()),
                })?;
        Ok(PgConn {
            client: Arc::new(client),
            runtime: Arc::clone(&self.runtime),
            clinics_locked: Default::default(),
        })
    }
}

/// One pooled connection, back in the pool when dropped.
pub(crate) struct PgConn {
    client: Arc<deadpool_postgres::Object>,
    runtime: Arc<PgRuntime>,
    /// The clinics whose row this connection's open transaction has locked (`Db::lock_clinic`).
    clinics_locked: std::cell::RefCell<Vec<i64>>,
}

impl PgConn {
    pub(super) fn holds_clinic(&self, clinic_id: i64) -> bool {
        self.clinics_locked.borrow().contains(&clinic_id)
    }

    pub(super) fn hold_clinic(&self, clinic_id: i64) {
        self.clinics_locked.borrow_mut().push(clinic_id);
    }

    pub(super) fn forget_clinics(&self) {
        self.clinics_locked.borrow_mut().clear();
    }

    pub(super) fn rows(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        let client = Arc::clone(&self.client);
        let sql = translate(sql);
        self.runtime.run(async move {
            let statement = client
                .prepare_cached(&sql)
                .await
                .map_err(SqlError::Postgres)?;
            let params: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|value| value as &(dyn ToSql + Sync))
                .collect();
            let rows = client
                .query(&statement, &params)
                .await
                .map_err(SqlError::Postgres)?;
            rows.iter()
                .map(|row| {
                    let values = (0..row.len())
                        .map(|column| row.try_get::<_, Value>(column))
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(SqlError::Postgres)?;
                    Ok(Row { values })
                })
                .collect()
        })
    }

    pub(super) fn execute(&self, sql: &str, params: Vec<Value>) -> Result<usize> {
        let client = Arc::clone(&self.client);
        let sql = translate(sql);
        self.runtime.run(async move {
            let statement = client
                .prepare_cached(&sql)
                .await
                .map_err(SqlError::Postgres)?;
            let params: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|value| value as &(dyn ToSql + Sync))
                .collect();
            let changed = client
                .execute(&statement, &params)
                .await
                .map_err(SqlError::Postgres)?;
            Ok(changed as usize)
        })
    }

    /// Runs `statements` in order, sent together without waiting for each answer (tokio-postgres
    /// writes a statement when its future is first polled, so polling them all at once pipelines
    /// them; the server runs and answers them in order). The first error, in statement order.
    pub(super) fn execute_all(&self, statements: Vec<(String, Vec<Value>)>) -> Result<()> {
        let client = Arc::clone(&self.client);
        self.runtime.run(async move {
            let mut prepared = Vec::with_capacity(statements.len());
            for (sql, _) in &statements {
                let statement = client
                    .prepare_cached(&translate(sql))
                    .await
                    .map_err(SqlError::Postgres)?;
                prepared.push(statement);
            }
            let client: &tokio_postgres::Client = &client;
            let runs =
                prepared
                    .iter()
                    .zip(&statements)
                    .map(|(statement, (_, params))| async move {
                        let params: Vec<&(dyn ToSql + Sync)> = params
                            .iter()
                            .map(|value| value as &(dyn ToSql + Sync))
                            .collect();
                        client.execute(statement, &params).await
                    });
            for result in futures_util::future::join_all(runs).await {
                result.map_err(SqlError::Postgres)?;
            }
            Ok(())
        })
    }

    pub(super) fn batch(&self, sql: String) -> Result<()> {
        let client = Arc::clone(&self.client);
        self.runtime
            .run(async move { client.batch_execute(&sql).await })
            .map_err(SqlError::Postgres)
    }
}

/// `?N` parameters as PostgreSQL's `$N`, outside quoted text; a bare `?` takes the number after
/// the largest so far, as SQLite numbers it.
fn translate(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    let mut largest = 0u32;
    let mut characters = sql.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\'' => {
                quoted = !quoted;
                out.push(character);
            }
            '?' if !quoted => {
                let mut digits = String::new();
                while let Some(digit) = characters.next_if(char::is_ascii_digit) {
                    digits.push(digit);
                }
                let number = digits.parse().unwrap_or(largest + 1);
                largest = largest.max(number);
                out.push('$');
                out.push_str(&number.to_string());
            }
            _ => out.push(character),
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(number) => match *ty {
                Type::INT2 => i16::try_from(*number)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*number)?.to_sql(ty, out),
                Type::BOOL => (*number != 0).to_sql(ty, out),
                Type::FLOAT8 => (*number as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => number.to_string().to_sql(ty, out),
                _ => number.to_sql(ty, out),
            },
            Value::Real(number) => number.to_sql(ty, out),
            Value::Text(text) => match *ty {
                Type::INT8 => text.parse::<i64>()?.to_sql(ty, out),
                _ => text.as_str().to_sql(ty, out),
            },
            Value::Blob(bytes) => bytes.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::BYTEA => Value::Blob(<Vec<u8>>::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            ref other => return Err(format!("a column of type {other} (cast it)").into()),
        })
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread whose work panicked is not left marked: an async task it runs later would
    /// otherwise block on a future, which panics.
    #[test]
    fn the_blocking_mark_is_put_back_when_the_work_panics() {
        std::thread::spawn(|| {
            let panicked = std::panic::catch_unwind(|| {
                on_a_blocking_thread(|| {
                    assert!(BLOCKING.get());
                    panic!("the work failed");
                })
            });
            assert!(panicked.is_err());
            assert!(!BLOCKING.get(), "the mark was put back");
            on_a_blocking_thread(|| assert!(BLOCKING.get()));
            assert!(!BLOCKING.get());
        })
        .join()
        .unwrap();
    }

    #[test]
    fn parameters_are_numbered_the_postgresql_way_outside_quotes() {
        assert_eq!(
            translate("SELECT '?1' FROM t WHERE a = ?1 AND b = ?12"),
            "SELECT '?1' FROM t WHERE a = $1 AND b = $12"
        );
        assert_eq!(
            translate("WHERE a >= ? AND a < ? LIMIT ? OFFSET ?"),
            "WHERE a >= $1 AND a < $2 LIMIT $3 OFFSET $4"
        );
    }

    #[test]
    fn the_pool_size_and_tls_are_read_from_the_url() {
        let url = read_url("postgres://u@127.0.0.1:5/b?sslmode=disable&pool_size=4").unwrap();
        assert_eq!(url.postgres, "postgres://u@127.0.0.1:5/b?sslmode=disable");
        assert_eq!((url.pool_size, url.tls), (4, false));
        let url = read_url("postgresql://h/b?sslmode=verify-full").unwrap();
        assert_eq!(url.postgres, "postgresql://h/b?sslmode=require");
        assert!(url.tls);
        assert!(read_url("postgres://h/b?pool_size=0").is_err());
        assert!(read_url("mysql://h/b").is_err());
    }
}
