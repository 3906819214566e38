//! Reusable pieces of the pages.

pub mod form;
pub mod layout;
pub mod nav_link;
pub mod not_yet_available;
pub mod problem_banner;
pub mod replace;
pub mod role_select;
pub mod secret_callout;
