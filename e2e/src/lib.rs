//! The REST smoke suite: what an operator's CI runs against a deployment right after a deploy.
//! `make smoke BASE_URL=...` runs it from the command line; `make test` runs it on a local server.

pub mod smoke;
