//! A progress bar for a background job: `role="progressbar"` with `aria-valuenow` once the
//! share done is known, an animated stripe before.

use yew::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressTone {
    #[default]
    Working,
    Done,
    Failed,
}

#[derive(Properties, PartialEq)]
pub struct ProgressBarProps {
    pub id: AttrValue,
    /// 0 to 100; `None` while the amount of work is not known.
    pub percent: Option<u8>,
    /// What is in progress, e.g. "Syncing users: 40 of 100".
    pub label: AttrValue,
    #[prop_or_default]
    pub tone: ProgressTone,
}

#[component]
pub fn ProgressBar(props: &ProgressBarProps) -> Html {
    let percent = props.percent.map(|p| p.min(100));
    let tone = match props.tone {
        ProgressTone::Working => "working",
        ProgressTone::Done => "done",
        ProgressTone::Failed => "failed",
    };
    html! {
        <div class="progress-block">
            <div
                id={props.id.clone()}
                class={classes!("progress", tone, percent.is_none().then_some("indeterminate"))}
                role="progressbar"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow={percent.map(|p| p.to_string())}
                aria-label={props.label.clone()}
                data-status={tone}
            >
                // SVG geometry, not an inline style: the app's Content-Security-Policy allows no
                // `style` attributes.
                if let Some(p) = percent {
                    <svg class="progress-svg" width="100%" height="100%" aria-hidden="true">
                        <rect class="progress-fill" x="0" y="0" width={format!("{p}%")} height="100%" />
                    </svg>
                } else {
                    <div class="progress-fill"></div>
                }
            </div>
            <p class="progress-label">
                { props.label.clone() }
                if let Some(p) = percent {
                    <span class="progress-percent">{ format!(" ({p}%)") }</span>
                }
            </p>
        </div>
    }
}
