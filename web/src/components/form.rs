//! Small helpers for form inputs.

use shared::role::Role;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// The current text of the `<input>` an event came from.
pub fn input_value(event: &InputEvent) -> String {
    event.target_unchecked_into::<HtmlInputElement>().value()
}

/// The current text of the `<textarea>` an event came from.
pub fn textarea_value(event: &InputEvent) -> String {
    event.target_unchecked_into::<HtmlTextAreaElement>().value()
}

/// The value of the option chosen in the `<select>` a change event came from.
pub fn selected_value(event: &Event) -> String {
    event.target_unchecked_into::<HtmlSelectElement>().value()
}

/// Whether the checkbox (or radio button) a change event came from is now checked.
pub fn is_checked(event: &Event) -> bool {
    event.target_unchecked_into::<HtmlInputElement>().checked()
}

/// The role chosen in the `<select>` a change event came from.
pub fn selected_role(event: &Event) -> Option<Role> {
    Role::parse(&selected_value(event))
}
