//! Small helpers for form inputs.

use shared::role::Role;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The current text of the `<input>` an event came from.
pub fn input_value(event: &InputEvent) -> String {
    event.target_unchecked_into::<HtmlInputElement>().value()
}

/// The role chosen in the `<select>` a change event came from.
pub fn selected_role(event: &Event) -> Option<Role> {
    Role::parse(&event.target_unchecked_into::<HtmlSelectElement>().value())
}
