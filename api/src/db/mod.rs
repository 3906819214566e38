//! The database: one set of query code over SQLite (embedded, the default) and PostgreSQL
//! (to scale out), a connection pool, and the migrations of each backend.

pub mod accounts;
pub mod api_tokens;
pub mod bulk_items;
pub mod directory;
pub mod idempotency;
pub mod invitations;
pub mod jobs;
pub mod ledger;
pub mod numbers;
mod pool;
pub mod rate_limits;
pub mod roles;
pub mod schema;
pub mod sessions;
pub mod sign_in_throttle;
pub mod tenant_connections;
mod text_column;
pub(crate) use text_column::text_column;
pub mod users;
pub mod voice_profiles;
pub mod webhooks;

pub(crate) use pool::on_each_backend;
pub use pool::{is_unique_violation, lock_account, ping, transaction, Backend, Db, DbConn};

#[cfg(test)]
mod tests {
    use diesel::{sql_types::Integer, QueryableByName, RunQueryDsl};

    use super::*;

    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = Integer)]
        used: i32,
    }

    /// The bundled SQLite keeps a statement's plan across executions (`.cargo/config.toml`):
    /// without it every query with a bound LIMIT was planned again each time it ran, and an
    /// authenticated read under load answered at half the rate (bench/RESULTS.md).
    #[test]
    fn the_bundled_sqlite_plans_a_statement_once() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(&format!("sqlite://{}/q.db", dir.path().display()), 1)?;
        let used = db.run_now(|conn| {
            Ok(
                diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used")
                    .get_result::<Used>(conn)?,
            )
        })?;
        assert_eq!(used.used, 1, "SQLite was built without SQLITE_ENABLE_QPSG");
        Ok(())
    }
}
