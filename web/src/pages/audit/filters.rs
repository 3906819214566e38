//! The audit log's filters: who, which user, which number, what kind of event, and the days.
//! Typing applies after a pause (or on Enter); a choice applies at once.

use std::rc::Rc;

use shared::audit::EVENT_TYPES;
use yew::prelude::*;

use super::actors::ActorChoice;
use crate::api::AuditFilter;
use crate::components::form::{input_value, selected_value};
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct AuditFiltersProps {
    /// What the form shows.
    pub filter: AuditFilter,
    pub actors: Rc<Vec<ActorChoice>>,
    /// Typing: applied after a pause.
    pub on_edit: Callback<AuditFilter>,
    /// A choice, Enter, or "Clear": applied now.
    pub on_apply: Callback<AuditFilter>,
}

#[component]
pub fn AuditFilters(props: &AuditFiltersProps) -> Html {
    let filter = &props.filter;
    let edit = |change: fn(&mut AuditFilter, String)| {
        let (on_edit, filter) = (props.on_edit.clone(), filter.clone());
        Callback::from(move |event: InputEvent| {
            let mut next = filter.clone();
            change(&mut next, input_value(&event));
            on_edit.emit(next);
        })
    };
    let choose = |change: fn(&mut AuditFilter, String)| {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: Event| {
            let mut next = filter.clone();
            change(&mut next, selected_value(&event));
            on_apply.emit(next);
        })
    };
    // A date input reports a whole date or nothing: apply it at once.
    let pick_day = |change: fn(&mut AuditFilter, String)| {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: Event| {
            let mut next = filter.clone();
            change(
                &mut next,
                event
                    .target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            );
            on_apply.emit(next);
        })
    };
    let on_submit = {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_apply.emit(filter.clone());
        })
    };
    let on_clear = {
        let (on_apply, limit) = (props.on_apply.clone(), filter.limit);
        Callback::from(move |_: MouseEvent| {
            on_apply.emit(AuditFilter {
                limit,
                ..AuditFilter::default()
            })
        })
    };
    // An actor chosen from the table may not be among the choices (a former member).
    let unlisted_actor = (!filter.actor.is_empty()
        && !props.actors.iter().any(|a| a.value == filter.actor))
    .then(|| filter.actor.clone());

    html! {
        <form id="audit-filters" class="card filters" onsubmit={on_submit} role="search">
            <div class="field">
                <label for="audit-actor">{ "Who" }</label>
                <select id="audit-actor" onchange={choose(|f, v| f.actor = v)}>
                    <option value="" selected={filter.actor.is_empty()}>{ "Anyone" }</option>
                    { for props.actors.iter().map(|choice| html! {
                        <option value={choice.value.clone()} selected={filter.actor == choice.value}>
                            { choice.label.clone() }
                        </option>
                    }) }
                    if let Some(actor) = unlisted_actor {
                        <option value={actor.clone()} selected=true>{ actor }</option>
                    }
                </select>
            </div>
            <div class="field">
                <label for="audit-type">{ "Event" }</label>
                <select id="audit-type" onchange={choose(|f, v| f.kind = v)}>
                    <option value="" selected={filter.kind.is_empty()}>{ "Any event" }</option>
                    { for EVENT_TYPES.iter().map(|kind| html! {
                        <option value={*kind} selected={filter.kind == *kind}>
                            { labels::event_type(kind) }
                        </option>
                    }) }
                </select>
            </div>
            <div class="field grow">
                <label for="audit-user">{ "User" }</label>
                <input
                    id="audit-user"
                    type="search"
                    placeholder="User principal name or object id"
                    autocomplete="off"
                    value={filter.user.clone()}
                    oninput={edit(|f, v| f.user = v)}
                />
            </div>
            <div class="field">
                <label for="audit-number">{ "Number" }</label>
                <input
                    id="audit-number"
                    type="search"
                    placeholder="+14255550100"
                    autocomplete="off"
                    value={filter.number.clone()}
                    oninput={edit(|f, v| f.number = v)}
                />
            </div>
            <div class="field">
                <label for="audit-from">{ "From (UTC)" }</label>
                <input id="audit-from" type="date" value={filter.from.clone()} max={non_empty(&filter.to)}
                    onchange={pick_day(|f, v| f.from = v)} />
            </div>
            <div class="field">
                <label for="audit-to">{ "To (UTC)" }</label>
                <input id="audit-to" type="date" value={filter.to.clone()} min={non_empty(&filter.from)}
                    onchange={pick_day(|f, v| f.to = v)} />
            </div>
            <div class="filter-actions">
                <button type="submit" class="visually-hidden" tabindex="-1">{ "Search" }</button>
                if filter.is_filtered() {
                    <button id="audit-clear-filters" type="button" class="button secondary" onclick={on_clear}>
                        { "Clear filters" }
                    </button>
                }
            </div>
        </form>
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}
