//! Tenant Connect: the admin portal API for Microsoft Teams Direct Routing providers.
//! Layout and data flow: route -> domain -> db (see DESIGN.md).

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod jwt_secret;
pub mod metrics;
pub mod microsoft;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod security_headers;
pub mod spa;
pub mod startup;
pub mod state;
pub mod telemetry;
