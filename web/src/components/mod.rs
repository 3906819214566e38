//! Reusable pieces of the pages.

pub mod capacity_chart;
pub mod form;
pub mod layout;
pub mod list_card;
pub mod nav_link;
pub mod pager;
pub mod problem_banner;
pub mod progress;
pub mod replace;
pub mod role_select;
pub mod secret_callout;
