//! Users with phone service on each day of the month, as bars in plain SVG: geometry in SVG
//! attributes, colours in the stylesheet (the Content-Security-Policy allows no inline styles).

use chrono::Datelike;
use shared::billing::DailyCount;
use yew::prelude::*;

/// The drawing's own coordinates; the SVG scales to the card's width.
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;
/// The share of a day's slot its bar fills.
const BAR_SHARE: f64 = 0.7;

/// The value axis: evenly spaced whole-number ticks from 0 to at least `max`, at most 5 steps.
fn ticks(max: u32) -> Vec<u32> {
    let max = max.max(1);
    let step = max.div_ceil(5).max(1);
    let top = max.div_ceil(step) * step;
    (0..=top).step_by(step as usize).collect()
}

/// Whether a day of the month gets a label under the axis.
fn labelled(day: u32, days_in_month: u32) -> bool {
    day == 1 || day == days_in_month || (day.is_multiple_of(5) && days_in_month - day >= 2)
}

#[derive(Properties, PartialEq)]
pub struct UsageChartProps {
    pub daily: Vec<DailyCount>,
    pub days_in_month: u32,
}

#[component]
pub fn UsageChart(props: &UsageChartProps) -> Html {
    if props.daily.is_empty() {
        return html! {
            <div id="billing-chart" class="usage-chart">
                <p class="empty">{ "This month has not begun: no days to show yet." }</p>
            </div>
        };
    }
    let days = props.days_in_month.max(1);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = plot_width / f64::from(days);
    let ticks = ticks(
        props
            .daily
            .iter()
            .map(|d| d.enabled_users)
            .max()
            .unwrap_or(0),
    );
    let top = f64::from(*ticks.last().unwrap_or(&1)).max(1.0);
    let y = |value: u32| TOP + plot_height - f64::from(value) / top * plot_height;
    let x_centre = |day: u32| LEFT + slot * (f64::from(day) - 0.5);
    let peak = props
        .daily
        .iter()
        .map(|d| d.enabled_users)
        .max()
        .unwrap_or(0);
    let summary = format!(
        "Users with phone service per day, {} days shown, at most {peak} on a day",
        props.daily.len()
    );

    html! {
        <div id="billing-chart" class="usage-chart">
            <svg
                class="usage-chart-svg"
                viewBox={format!("0 0 {WIDTH} {HEIGHT}")}
                width="100%"
                preserveAspectRatio="xMidYMid meet"
                role="img"
                aria-label={summary}
            >
                <g class="chart-grid">
                    { for ticks.iter().map(|&tick| html! {
                        <g class="chart-tick" data-value={tick.to_string()}>
                            <line class="chart-grid-line" x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()}
                                y1={format!("{:.2}", y(tick))} y2={format!("{:.2}", y(tick))} />
                            <text class="chart-axis-label" x={(LEFT - 8.0).to_string()}
                                y={format!("{:.2}", y(tick) + 4.0)} text-anchor="end">
                                { tick }
                            </text>
                        </g>
                    }) }
                </g>
                <g class="chart-bars">
                    { for props.daily.iter().map(|day| {
                        let n = day.enabled_users;
                        let date = day.date.day();
                        let width = slot * BAR_SHARE;
                        // A day without users keeps a sliver on the axis, so it reads as zero
                        // rather than as missing.
                        let (bar_top, height) = if n == 0 {
                            (y(0) - 1.0, 1.0)
                        } else {
                            (y(n), y(0) - y(n))
                        };
                        html! {
                            <rect
                                class={classes!("day-bar", (n == 0).then_some("zero"))}
                                x={format!("{:.2}", x_centre(date) - width / 2.0)}
                                y={format!("{bar_top:.2}")}
                                width={format!("{width:.2}")}
                                height={format!("{height:.2}")}
                                data-date={day.date.to_string()}
                                data-count={n.to_string()}
                            >
                                <title>{ format!("{}: {n} {}", day.date.format("%-d %b"), if n == 1 { "user" } else { "users" }) }</title>
                            </rect>
                        }
                    }) }
                </g>
                <line class="chart-axis" x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()}
                    y1={format!("{:.2}", y(0))} y2={format!("{:.2}", y(0))} />
                <g class="chart-days">
                    { for (1..=days).filter(|&d| labelled(d, days)).map(|d| html! {
                        <text class="chart-axis-label" x={format!("{:.2}", x_centre(d))}
                            y={(HEIGHT - BOTTOM + 16.0).to_string()} text-anchor="middle">
                            { d }
                        </text>
                    }) }
                </g>
                <text class="chart-axis-title" x={(LEFT + plot_width / 2.0).to_string()}
                    y={(HEIGHT - 3.0).to_string()} text-anchor="middle">
                    { "Day of the month (UTC)" }
                </text>
                <text class="chart-axis-title" x="12" y={(TOP + plot_height / 2.0).to_string()}
                    text-anchor="middle" transform={format!("rotate(-90 12 {})", TOP + plot_height / 2.0)}>
                    { "Users" }
                </text>
            </svg>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_whole_numbers_that_reach_the_peak() {
        assert_eq!(ticks(0), vec![0, 1]);
        assert_eq!(ticks(2), vec![0, 1, 2]);
        assert_eq!(ticks(5), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(ticks(7), vec![0, 2, 4, 6, 8]);
        assert_eq!(ticks(250), vec![0, 50, 100, 150, 200, 250]);
    }

    #[test]
    fn the_first_and_last_days_and_every_fifth_are_labelled() {
        let labels: Vec<u32> = (1..=30).filter(|&d| labelled(d, 30)).collect();
        assert_eq!(labels, vec![1, 5, 10, 15, 20, 25, 30]);
        let labels: Vec<u32> = (1..=31).filter(|&d| labelled(d, 31)).collect();
        assert_eq!(labels, vec![1, 5, 10, 15, 20, 25, 31]);
    }
}
