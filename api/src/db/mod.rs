//! The database: one set of query code over SQLite (embedded, the default) and PostgreSQL
//! (to scale out), a connection pool, and the migrations of each backend.

pub mod accounts;
pub mod api_tokens;
mod pool;
pub mod schema;
pub mod tenant_connections;
pub mod users;

pub use pool::{is_unique_violation, lock_account, ping, transaction, Backend, Db, DbConn};
