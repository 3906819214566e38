use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use diesel::{
    connection::SimpleConnection,
    r2d2::{self, ManageConnection, R2D2Connection},
    Connection, PgConnection, SqliteConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; every query in `db::*` is written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, anyhow::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite://") {
            Ok(Backend::Sqlite)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://")
        }
    }
}

/// Opens connections for the pool. Diesel's own multi-backend `establish` tries each backend
/// in turn and hides why the right one failed; this picks the backend from the URL.
struct Manager {
    backend: Backend,
    url: String,
    /// Whether the latest attempt to open a connection failed (the database is unreachable).
    unreachable: Arc<AtomicBool>,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let opened = self.open();
        self.unreachable.store(opened.is_err(), Ordering::Relaxed);
        opened
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

impl Manager {
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConn::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: it makes this connection wait for a lock instead of failing,
                // which switching to WAL (readers beside the writer) needs while the pool opens
                // its other connections; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// How long a request waits for a connection while the database answers but every
/// connection is busy.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// While waiting, how often it looks whether the database became unreachable: then it answers
/// 503 at once instead of after [`CHECKOUT_TIMEOUT`].
const CHECKOUT_SLICE: Duration = Duration::from_millis(250);

/// The pool. Cheap to clone; queries run on actix's blocking threads through [`Db::run`].
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    unreachable: Arc<AtomicBool>,
    /// One per pooled connection, taken by [`Db::run`] before it hands work to a thread.
    permits: Arc<tokio::sync::Semaphore>,
}

impl Db {
    /// Connects and brings the schema up to date.
    pub fn connect(url: &str, max_size: u32) -> Result<Db, anyhow::Error> {
        let backend = Backend::of_url(url)?;
        if backend == Backend::Sqlite {
            // WAL is kept in the database file; switching to it needs the database to itself,
            // so do it once here, before the pool opens its connections side by side.
            SqliteConnection::establish(url)?
                .batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")?;
        }
        let unreachable = Arc::new(AtomicBool::new(false));
        let manager = Manager {
            backend,
            url: url.to_owned(),
            unreachable: unreachable.clone(),
        };
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            // Also caps the pause between the pool's attempts to reconnect (half of it), so a
            // database back after an outage is used again within two seconds.
            .connection_timeout(Duration::from_secs(4))
            // No round trip to test each connection as it is taken: a connection that broke
            // says so (`has_broken`) and is dropped when it comes back, and a query on it fails
            // as `Unavailable` (see `run_now`).
            .test_on_check_out(false)
            .build(manager)?;
        let db = Db {
            pool,
            backend,
            unreachable,
            permits: Arc::new(tokio::sync::Semaphore::new(max_size as usize)),
        };
        db.migrate()?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn migrate(&self) -> Result<(), anyhow::Error> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        for version in applied {
            tracing::info!(%version, "applied migration");
        }
        Ok(())
    }

    /// Runs blocking database work on the blocking thread pool, never on an async worker.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        // At most one blocking task per pooled connection: the others wait here, on the async
        // side, instead of as blocked threads all contending for the pool's lock (under load
        // that contention was a quarter to a third of a read's cost; bench/PROFILE.md).
        // The wait is bounded like a checkout (a database that hangs must still answer 503),
        // and the permit goes with the work: a caller that stops waiting does not free it
        // while the thread still holds a connection.
        let permit = tokio::time::timeout(CHECKOUT_TIMEOUT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                ApiError::unavailable(anyhow::anyhow!(
                    "no database connection free within {CHECKOUT_TIMEOUT:?}"
                ))
            })?
            .map_err(|e| ApiError::internal(e.into()))?;
        let db = self.clone();
        actix_web::web::block(move || {
            let _permit = permit;
            db.run_now(work)
        })
        .await
        .map_err(|e| ApiError::internal(e.into()))?
    }

    /// The same, outside a request (start-up, the command line).
    ///
    /// A database that cannot be reached is `Unavailable` (503), whether no connection could
    /// be had or the one in use broke mid-way (the server restarting under us): the caller
    /// may try again, and the transaction it ran was rolled back whole.
    pub fn run_now<T>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.checkout()?;
        match work(&mut conn) {
            Err(ApiError::Internal(cause)) if conn.ping().is_err() => {
                Err(ApiError::Unavailable(cause))
            }
            done => done,
        }
    }

    /// A connection from the pool, waiting up to [`CHECKOUT_TIMEOUT`] while all are busy, but
    /// not while the database is unreachable.
    fn checkout(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        loop {
            let slice = CHECKOUT_SLICE.min(deadline.saturating_duration_since(Instant::now()));
            match self.pool.get_timeout(slice) {
                Ok(conn) => return Ok(conn),
                Err(e)
                    if self.unreachable.load(Ordering::Relaxed) || Instant::now() >= deadline =>
                {
                    return Err(ApiError::unavailable(e.into()))
                }
                Err(_) => {}
            }
        }
    }
}

/// Takes the write lock that serialises changes to one account's members inside a
/// transaction: a row lock on PostgreSQL, the database write lock on SQLite (taken as the
/// transaction's first statement, so it waits instead of failing on a stale snapshot).
pub fn lock_account(conn: &mut DbConn, account_id: &str) -> diesel::QueryResult<()> {
    use crate::db::schema::accounts::dsl::*;
    use diesel::prelude::*;
    diesel::update(accounts.filter(id.eq(account_id)))
        .set(id.eq(account_id))
        .execute(conn)
        .map(|_| ())
}

/// Runs `work` in a transaction: committed when it returns `Ok`, rolled back otherwise.
///
/// On SQLite the transaction takes the write lock with its first statement (a write that
/// changes nothing). A transaction that read first and wrote later would otherwise fail at
/// once ("database is locked") whenever another connection wrote in between, instead of
/// waiting its turn under `busy_timeout`.
pub fn transaction<T>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    conn.transaction(|conn| {
        if let DbConn::Sqlite(lite) = conn {
            lite.batch_execute("UPDATE accounts SET id = id WHERE 0")?;
        }
        work(conn)
    })
}

/// Whether the database refused a write for breaking a unique constraint.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A round trip to the database.
pub fn ping(conn: &mut DbConn) -> diesel::QueryResult<()> {
    conn.ping()
}

/// Runs one query written once against each backend's own connection: for what diesel's
/// multi-backend connection cannot express (an upsert's `ON CONFLICT`).
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_each_backend;
