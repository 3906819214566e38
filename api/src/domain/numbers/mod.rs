//! The account's number inventory: loading blocks, listing, capacity, and the choice of a
//! number for a user.

pub mod capacity;
pub mod e164;
pub mod inventory;
pub mod limits;
pub mod load;

pub use e164::E164;
