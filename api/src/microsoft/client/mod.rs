//! The production Microsoft client (being written).
