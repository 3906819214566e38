//! Capacity as horizontal bars, one per group (block, country or location), each stacked by
//! status: assigned, reserved, ageing, available. Plain HTML: each segment's width is its share
//! of the group, in percent.

use shared::numbers::{CapacityGroup, NumberStatus};
use yew::prelude::*;

use crate::labels;

/// The stacking order, from used to free.
const ORDER: [NumberStatus; 4] = [
    NumberStatus::Assigned,
    NumberStatus::Reserved,
    NumberStatus::Aging,
    NumberStatus::Available,
];

fn count(group: &CapacityGroup, status: NumberStatus) -> u64 {
    match status {
        NumberStatus::Assigned => group.assigned,
        NumberStatus::Reserved => group.reserved,
        NumberStatus::Aging => group.aging,
        NumberStatus::Available => group.available,
    }
}

#[derive(Properties, PartialEq)]
pub struct CapacityChartProps {
    pub id: AttrValue,
    pub groups: Vec<CapacityGroup>,
    /// Shown when there are no groups.
    pub empty_text: AttrValue,
    /// Each bar gets a "Show numbers" button when set.
    #[prop_or_default]
    pub on_show: Option<Callback<CapacityGroup>>,
}

#[component]
pub fn CapacityChart(props: &CapacityChartProps) -> Html {
    html! {
        <div id={props.id.clone()} class="capacity-chart">
            <Legend />
            if props.groups.is_empty() {
                <p class="empty">{ props.empty_text.clone() }</p>
            } else {
                <ul class="capacity-bars">
                    { for props.groups.iter().map(|group| bar(group, props.on_show.as_ref())) }
                </ul>
            }
        </div>
    }
}

#[component]
fn Legend() -> Html {
    html! {
        <ul class="capacity-legend" id="capacity-legend" aria-label="Legend">
            { for ORDER.iter().map(|status| html! {
                <li>
                    <span class={classes!("swatch", status.as_str())} aria-hidden="true"></span>
                    { labels::number_status(*status) }
                </li>
            }) }
        </ul>
    }
}

/// Each non-empty status of the group: its count, where its segment starts and how wide it is,
/// in percent of the bar.
fn segments(group: &CapacityGroup) -> Vec<(NumberStatus, u64, f64, f64)> {
    let mut x = 0.0;
    ORDER
        .iter()
        .filter_map(|status| {
            let n = count(group, *status);
            (n > 0 && group.total > 0).then(|| {
                let share = n as f64 * 100.0 / group.total as f64;
                let start = x;
                x += share;
                (*status, n, start, share)
            })
        })
        .collect()
}

fn bar(group: &CapacityGroup, on_show: Option<&Callback<CapacityGroup>>) -> Html {
    let scope = labels::capacity_scope(group.scope);
    let summary = ORDER
        .iter()
        .map(|status| {
            format!(
                "{} {}",
                count(group, *status),
                labels::number_status(*status).to_lowercase()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let used = (group.utilisation * 100.0).round().clamp(0.0, 100.0);
    html! {
        <li
            class={classes!("capacity-bar", group.low_stock.then_some("low-stock"))}
            data-key={group.key.clone()}
            data-scope={scope}
            data-total={group.total.to_string()}
        >
            <div class="capacity-heading">
                <span class="capacity-name">{ group.label.clone() }</span>
                <span class="capacity-total muted">
                    { format!("{} numbers · {used:.0}% in use", group.total) }
                </span>
                if group.low_stock {
                    <span class="low-stock-tag">{ "Low stock" }</span>
                }
                if let Some(on_show) = on_show {
                    <button
                        type="button"
                        class="button secondary small show-numbers"
                        onclick={ let (on_show, group) = (on_show.clone(), group.clone());
                                  Callback::from(move |_: MouseEvent| on_show.emit(group.clone())) }
                    >
                        { "Show numbers" }
                    </button>
                }
            </div>
            // SVG geometry, not inline styles: the app's Content-Security-Policy allows no
            // `style` attributes.
            <svg
                class="capacity-track"
                width="100%"
                height="18"
                role="img"
                aria-label={format!("{}: {summary}", group.label)}
            >
                { for segments(group).into_iter().map(|(status, n, x, share)| html! {
                    <rect
                        class={classes!("segment", status.as_str())}
                        x={format!("{x:.3}%")}
                        y="0"
                        width={format!("{share:.3}%")}
                        height="100%"
                        data-status={status.as_str()}
                        data-count={n.to_string()}
                    >
                        <title>{ format!("{n} {}", labels::number_status(status).to_lowercase()) }</title>
                    </rect>
                }) }
            </svg>
            <ul class="capacity-counts">
                { for ORDER.iter().map(|status| html! {
                    <li class={classes!("count", status.as_str())} data-status={status.as_str()}>
                        <span class={classes!("swatch", status.as_str())} aria-hidden="true"></span>
                        <span class="count-value">{ count(group, *status) }</span>
                        { " " }
                        { labels::number_status(*status).to_lowercase() }
                    </li>
                }) }
            </ul>
        </li>
    }
}
