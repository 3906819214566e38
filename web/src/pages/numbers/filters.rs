//! The numbers list's filters. Typing applies after a pause (or on Enter); a choice applies at
//! once.

use std::collections::HashMap;
use std::rc::Rc;

use shared::numbers::NumberStatus;
use uuid::Uuid;
use yew::prelude::*;

use crate::api::NumberFilter;
use crate::components::form::{input_value, is_checked, selected_value};
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct NumberFiltersProps {
    pub filter: NumberFilter,
    /// Each block's name, for the block choice.
    pub blocks: Rc<HashMap<Uuid, String>>,
    pub on_edit: Callback<NumberFilter>,
    pub on_apply: Callback<NumberFilter>,
}

#[component]
pub fn NumberFilters(props: &NumberFiltersProps) -> Html {
    let filter = &props.filter;
    let edit = |change: fn(&mut NumberFilter, String)| {
        let (on_edit, filter) = (props.on_edit.clone(), filter.clone());
        Callback::from(move |event: InputEvent| {
            let mut next = filter.clone();
            change(&mut next, input_value(&event));
            on_edit.emit(next);
        })
    };
    let choose = |change: fn(&mut NumberFilter, String)| {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: Event| {
            let mut next = filter.clone();
            change(&mut next, selected_value(&event));
            on_apply.emit(next);
        })
    };
    let on_conflicts = {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: Event| {
            on_apply.emit(NumberFilter {
                conflicts_only: is_checked(&event),
                ..filter.clone()
            })
        })
    };
    let on_submit = {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_apply.emit(filter.clone());
        })
    };
    let cleared = NumberFilter {
        limit: filter.limit,
        ..NumberFilter::default()
    };
    let on_clear = {
        let (on_apply, cleared) = (props.on_apply.clone(), cleared.clone());
        Callback::from(move |_: MouseEvent| on_apply.emit(cleared.clone()))
    };
    let mut blocks: Vec<(&Uuid, &String)> = props.blocks.iter().collect();
    blocks.sort_by(|a, b| a.1.cmp(b.1));

    html! {
        <form id="numbers-filters" class="card filters" onsubmit={on_submit} role="search">
            <div class="field grow">
                <label for="number-search">{ "Search" }</label>
                <input
                    id="number-search"
                    type="search"
                    placeholder="Digits of the number"
                    value={filter.q.clone()}
                    oninput={edit(|f, v| f.q = v)}
                />
            </div>
            <div class="field">
                <label for="number-status">{ "Status" }</label>
                <select id="number-status" onchange={choose(|f, v| f.status = NumberStatus::parse(&v))}>
                    <option value="" selected={filter.status.is_none()}>{ "Any" }</option>
                    { for NumberStatus::ALL.into_iter().map(|status| html! {
                        <option value={status.as_str()} selected={filter.status == Some(status)}>
                            { labels::number_status(status) }
                        </option>
                    }) }
                </select>
            </div>
            <div class="field narrow-field">
                <label for="number-country">{ "Country" }</label>
                <input
                    id="number-country"
                    type="text"
                    placeholder="e.g. US"
                    maxlength="2"
                    autocomplete="off"
                    value={filter.country.clone()}
                    oninput={edit(|f, v| f.country = v)}
                />
            </div>
            <div class="field">
                <label for="number-location">{ "Location" }</label>
                <input
                    id="number-location"
                    type="text"
                    placeholder="e.g. Seattle"
                    value={filter.location.clone()}
                    oninput={edit(|f, v| f.location = v)}
                />
            </div>
            <div class="field">
                <label for="number-block">{ "Block" }</label>
                <select id="number-block" onchange={choose(|f, v| f.block_id = v.parse().ok())}>
                    <option value="" selected={filter.block_id.is_none()}>{ "Any" }</option>
                    { for blocks.into_iter().map(|(id, name)| html! {
                        <option value={id.to_string()} selected={filter.block_id == Some(*id)}>
                            { name.clone() }
                        </option>
                    }) }
                </select>
            </div>
            <label class="checkbox-field" for="number-conflicts">
                <input
                    id="number-conflicts"
                    type="checkbox"
                    checked={filter.conflicts_only}
                    onchange={on_conflicts}
                />
                { "Only conflicts" }
            </label>
            <div class="filter-actions">
                <button type="submit" class="visually-hidden" tabindex="-1">{ "Search" }</button>
                if *filter != cleared {
                    <button id="clear-number-filters" type="button" class="button secondary" onclick={on_clear}>
                        { "Clear filters" }
                    </button>
                }
            </div>
        </form>
    }
}
