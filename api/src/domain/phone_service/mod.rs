//! Phone service: a number, the Teams voice policies and the emergency location of a voice
//! profile, given to a user as one change and taken away again.
//!
//! - [`request`]: what a caller asks (one user), checked and reserved in one transaction;
//! - [`plan`]: which profile a change applies, and the record it keeps on the user;
//! - [`saga`]: the steps of a change (number, policies, read-back) and their undo, run by the
//!   `phone_service_change` and bulk jobs;
//! - [`teams`]: the conversation with Teams (operations, policies, read-back);
//! - [`settle`]: the outcome, written with its ledger event;
//! - [`bulk`], [`rollback`], [`preview`]: many users at once, undoing a bulk, and what a change
//!   would do.

pub mod bulk;
pub mod plan;
pub mod preview;
pub mod request;
pub mod rollback;
pub mod saga;
pub mod settle;
pub mod teams;

pub use request::{
    actor, begin_assignment, forget_users, remove_service, request_service, rest_until, Begun,
    Follow, Outcome, MAX_AGING_DAYS,
};
pub use settle::Settle;
