//! The rules, free of HTTP and SQL: who may do what, what a valid email or password is, how
//! sessions and API tokens are made and checked, and the account membership rules.

pub mod accounts;
pub mod api_token;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod bounds;
pub mod bulk;
pub mod directory;
pub mod email;
pub mod hashing;
pub mod ids;
pub mod ledger;
pub mod members;
pub mod numbers;
pub mod paging;
pub mod password;
pub mod principal;
pub mod provisioning;
pub mod rate_limit;
pub mod rejected;
pub mod session;
pub mod stored;
pub mod telephony;
pub mod tenant_connection;
pub mod throttle;
pub mod voice_profiles;
pub mod webhooks;
