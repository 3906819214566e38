//! The database: one set of query code over SQLite (embedded, the default) and PostgreSQL
//! (to scale out), a connection pool, and the migrations of each backend.

pub mod accounts;
pub mod api_tokens;
pub mod jobs;
mod pool;
pub mod roles;
pub mod schema;
pub mod sessions;
pub mod sign_in_throttle;
pub mod tenant_connections;
mod text_column;
pub(crate) use text_column::text_column;
pub mod users;

pub use pool::{is_unique_violation, lock_account, ping, transaction, Backend, Db, DbConn};
