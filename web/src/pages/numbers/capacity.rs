//! Capacity: low-stock warnings first, then one stacked bar per block, location or country.

use shared::numbers::{Capacity, CapacityGroup, CapacityScope};
use yew::prelude::*;

use crate::components::capacity_chart::CapacityChart;
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct CapacitySectionProps {
    /// `None` until it answers.
    pub capacity: Option<Capacity>,
    /// "Show numbers" of a bar: the table narrows to that group.
    pub on_show: Callback<CapacityGroup>,
}

const SCOPES: [(CapacityScope, &str, &str); 3] = [
    (CapacityScope::Block, "capacity-by-block", "By block"),
    (
        CapacityScope::Location,
        "capacity-by-location",
        "By location",
    ),
    (CapacityScope::Country, "capacity-by-country", "By country"),
];

#[component]
pub fn CapacitySection(props: &CapacitySectionProps) -> Html {
    let scope = use_state(|| CapacityScope::Block);
    let Some(capacity) = &props.capacity else {
        return html! {
            <div class="card"><p class="loading">{ "Loading capacity…" }</p></div>
        };
    };
    let groups = match *scope {
        CapacityScope::Block => &capacity.blocks,
        CapacityScope::Location => &capacity.locations,
        CapacityScope::Country => &capacity.countries,
    };
    let empty_text = match *scope {
        CapacityScope::Block => "No numbers loaded yet.",
        CapacityScope::Location => "No number has a location yet.",
        CapacityScope::Country => "No numbers loaded yet.",
    };

    html! {
        <>
            { low_stock(capacity) }
            <section class="card capacity" id="capacity">
                <div class="capacity-header">
                    <h2>{ "Capacity" }</h2>
                    <div class="segmented" role="group" aria-label="Group the bars">
                        { for SCOPES.iter().map(|(choice, id, label)| {
                            let pressed = *scope == *choice;
                            let onclick = {
                                let (scope, choice) = (scope.clone(), *choice);
                                Callback::from(move |_: MouseEvent| scope.set(choice))
                            };
                            html! {
                                <button
                                    type="button"
                                    id={*id}
                                    class={classes!("segment-button", pressed.then_some("active"))}
                                    aria-pressed={pressed.to_string()}
                                    {onclick}
                                >
                                    { *label }
                                </button>
                            }
                        }) }
                    </div>
                </div>
                <CapacityChart
                    id="capacity-chart"
                    groups={groups.clone()}
                    {empty_text}
                    on_show={props.on_show.clone()}
                />
            </section>
        </>
    }
}

/// Every block, location and country running low, with how long its numbers may last.
fn low_stock(capacity: &Capacity) -> Html {
    let low: Vec<&CapacityGroup> = capacity
        .blocks
        .iter()
        .chain(&capacity.locations)
        .chain(&capacity.countries)
        .filter(|group| group.low_stock)
        .collect();
    if low.is_empty() {
        return Html::default();
    }
    html! {
        <div id="low-stock" class="banner warning low-stock" role="status">
            <p class="low-stock-title">
                <strong>{ "Running low on numbers" }</strong>
                { format!(" (fewer than {} available)", capacity.low_stock_threshold) }
            </p>
            <ul>
                { for low.into_iter().map(|group| html! {
                    <li class="low-stock-item" data-key={group.key.clone()} data-scope={labels::capacity_scope(group.scope)}>
                        <strong>{ group.label.clone() }</strong>
                        { format!(" ({}): ", labels::capacity_scope(group.scope)) }
                        <span class="low-stock-available">{ format!("{} available", group.available) }</span>
                        { ", " }
                        <span class="low-stock-days">{ outlook(group.days_until_exhausted) }</span>
                    </li>
                }) }
            </ul>
        </div>
    }
}

/// How long the available numbers last at the last 30 days' pace.
fn outlook(days: Option<f64>) -> String {
    match days {
        None => "none assigned in the last 30 days".to_owned(),
        Some(days) if days < 1.0 => "runs out within a day at the current pace".to_owned(),
        Some(days) => {
            let days = days.round() as u64;
            format!(
                "about {days} {} left at the last 30 days' pace",
                if days == 1 { "day" } else { "days" }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::outlook;

    #[test]
    fn the_outlook_is_in_words() {
        assert_eq!(outlook(None), "none assigned in the last 30 days");
        assert_eq!(
            outlook(Some(0.4)),
            "runs out within a day at the current pace"
        );
        assert_eq!(
            outlook(Some(1.2)),
            "about 1 day left at the last 30 days' pace"
        );
        assert_eq!(
            outlook(Some(12.6)),
            "about 13 days left at the last 30 days' pace"
        );
    }
}
