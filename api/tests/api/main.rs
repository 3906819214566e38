//! Integration tests: the real server on port 0, a fresh database per test. SQLite by default;
//! `TEST_BACKEND=postgres` with `TEST_POSTGRES_URL` runs the very same tests on PostgreSQL.

// Tests panic on purpose: an unwrap that fails is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect_flow;
mod helpers;

mod api_tokens;
mod auth;
mod bad_input;
mod billing;
mod cli;
mod faults;
mod fuzz_findings;
mod health;
mod isolation;
mod isolation_matrix;
mod job_fairness;
mod jobs;
mod ledger;
mod log_safety;
mod members;
mod microsoft;
mod openapi;
mod rate_limit;
mod secrets_at_rest;
mod security_headers;
mod sessions;
mod spa;
mod startup;
mod telephony_numbers;
mod telephony_provisioning;
mod telephony_support;
mod telephony_users;
mod tenant_connection;
mod tenant_proof;
mod tenant_takeover;
mod throttle;
mod uploads;
mod voice_profile_saga;
mod voice_profiles;
mod webhooks;
