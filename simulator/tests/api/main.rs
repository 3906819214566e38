//! Integration tests: the simulator on port 0, driven with raw HTTP (reqwest), as the production
//! client would see it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod consent;
mod control_users;
mod delta;
mod faults;
mod fidelity;
mod graph_auth;
mod permissions;
mod policies;
mod roles;
mod signin;
mod support;
mod teams;
mod token;
mod users;
