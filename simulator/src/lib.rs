//! The Microsoft simulator (being written).
