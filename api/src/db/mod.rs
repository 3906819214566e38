//! The database: one set of query code over SQLite (embedded, the default) and PostgreSQL
//! (to scale out), a connection pool, and the migrations of each backend.

pub mod accounts;
pub mod api_tokens;
pub mod bulk_items;
pub mod directory;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod numbers;
mod pool;
pub mod roles;
pub mod schema;
pub mod sessions;
pub mod sign_in_throttle;
pub mod tenant_connections;
mod text_column;
pub(crate) use text_column::text_column;
pub mod users;
pub mod webhooks;

pub(crate) use pool::on_each_backend;
pub use pool::{is_unique_violation, lock_account, ping, transaction, Backend, Db, DbConn};
