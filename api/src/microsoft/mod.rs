//! Microsoft: the identity platform and Graph, through the production client. The client only
//! knows two base URLs; in `simulated` mode they point at the `ms-simulator` crate mounted in
//! this same server, in `live` mode at Microsoft.

pub mod client;
