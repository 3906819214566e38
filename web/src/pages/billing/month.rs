//! The report's month: `YYYY-MM`, the month before and after, and the picker.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use yew::prelude::*;

use crate::clock;
use crate::components::form::input_value;

/// A calendar month (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// The month now is in (UTC).
    pub fn current() -> Month {
        let today = clock::now().date_naive();
        Month {
            year: today.year(),
            month: today.month(),
        }
    }

    /// `YYYY-MM`, as the API and a month input write it.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.trim().split_once('-')?;
        let (year, month) = (year.parse().ok()?, month.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1)?;
        Some(Month { year, month })
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                month: self.month - 1,
                ..self
            }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                month: self.month + 1,
                ..self
            }
        }
    }

    /// E.g. `November 2026`.
    pub fn title(self) -> String {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .map(|first| first.format("%B %Y").to_string())
            .unwrap_or_else(|| self.to_string())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Properties, PartialEq)]
pub struct MonthPickerProps {
    pub month: Month,
    /// The latest month that can be picked (the current one).
    pub latest: Month,
    pub on_change: Callback<Month>,
}

/// "Previous month", a month input, "Next month".
#[component]
pub fn MonthPicker(props: &MonthPickerProps) -> Html {
    let month = props.month;
    let on_previous = props
        .on_change
        .reform(move |_: MouseEvent| month.previous());
    let on_next = props.on_change.reform(move |_: MouseEvent| month.next());
    let on_input = {
        let (on_change, latest) = (props.on_change.clone(), props.latest);
        Callback::from(move |event: InputEvent| {
            // A half-typed or cleared input changes nothing.
            if let Some(picked) = Month::parse(&input_value(&event)) {
                on_change.emit(picked.min(latest));
            }
        })
    };
    html! {
        <div class="month-picker" role="group" aria-label="Month">
            <button id="billing-previous-month" type="button" class="button secondary small" onclick={on_previous}>
                { "‹ Previous month" }
            </button>
            <label class="visually-hidden" for="billing-month">{ "Month" }</label>
            <input
                id="billing-month"
                type="month"
                value={month.to_string()}
                max={props.latest.to_string()}
                oninput={on_input}
            />
            <button
                id="billing-next-month"
                type="button"
                class="button secondary small"
                disabled={month >= props.latest}
                onclick={on_next}
            >
                { "Next month ›" }
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_over_the_year() {
        let december = Month::parse("2025-12").unwrap();
        assert_eq!(december.next().to_string(), "2026-01");
        assert_eq!(december.next().previous(), december);
        assert_eq!(Month::parse("2026-01").unwrap().previous(), december);
        assert_eq!(december.title(), "December 2025");
    }

    #[test]
    fn only_a_real_month_parses() {
        assert!(Month::parse("2026-13").is_none());
        assert!(Month::parse("2026").is_none());
        assert!(Month::parse("").is_none());
        assert_eq!(Month::parse("2026-3").unwrap().to_string(), "2026-03");
    }
}
