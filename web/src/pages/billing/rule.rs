//! The account's billing rule: admins choose it (any day or pro rata), everyone sees it.

use shared::billing::{BillingRule, BillingSettings};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::form::selected_value;
use crate::components::problem_banner::ProblemBanner;
use crate::hooks::Api;

#[derive(Properties, PartialEq)]
pub struct RuleSettingProps {
    pub api: Api,
    pub is_admin: bool,
    /// After the rule changed: every report follows it.
    pub on_changed: Callback<()>,
}

#[component]
pub fn RuleSetting(props: &RuleSettingProps) -> Html {
    let rule = use_state(|| None::<BillingRule>);
    let saving = use_state(|| false);
    let saved = use_state(|| false);
    let error = use_state(|| None::<ApiError>);

    {
        let (api, rule, error) = (props.api.clone(), rule.clone(), error.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::billing_settings(api.token()).await {
                    Ok(settings) => rule.set(Some(settings.rule)),
                    Err(failure) => error.set(api.check(failure)),
                }
            });
        });
    }

    let on_change = {
        let (api, on_changed) = (props.api.clone(), props.on_changed.clone());
        let (rule, saving, saved, error) =
            (rule.clone(), saving.clone(), saved.clone(), error.clone());
        Callback::from(move |event: Event| {
            let Some(wanted) = BillingRule::parse(&selected_value(&event)) else {
                return;
            };
            let (api, on_changed) = (api.clone(), on_changed.clone());
            let (rule, saving, saved, error) =
                (rule.clone(), saving.clone(), saved.clone(), error.clone());
            saving.set(true);
            saved.set(false);
            error.set(None);
            spawn_local(async move {
                let body = BillingSettings { rule: wanted };
                match api::set_billing_settings(api.token(), &body).await {
                    Ok(settings) => {
                        rule.set(Some(settings.rule));
                        saved.set(true);
                        on_changed.emit(());
                    }
                    Err(failure) => error.set(api.check(failure)),
                }
                saving.set(false);
            });
        })
    };

    let Some(current) = *rule else {
        return html! { <div id="billing-rule-setting"><ProblemBanner error={(*error).clone()} /></div> };
    };
    html! {
        <div id="billing-rule-setting" class="card rule-setting">
            if props.is_admin {
                <div class="field">
                    <label for="billing-rule">{ "Billing rule" }</label>
                    <select id="billing-rule" disabled={*saving} onchange={on_change}>
                        { for BillingRule::ALL.into_iter().map(|choice| html! {
                            <option value={choice.as_str()} selected={choice == current}>
                                { choice.label() }
                            </option>
                        }) }
                    </select>
                </div>
                <p class="hint">
                    { "Any day: a user with service on any day of the month counts as one. \
                       Pro rata: user-days divided by the days in the month. A change applies from this month on: past months keep the rule they were billed under." }
                </p>
                if *saving {
                    <p class="muted" id="billing-rule-status">{ "Saving…" }</p>
                } else if *saved {
                    <p class="success-text" id="billing-rule-status">{ "Saved." }</p>
                }
            } else {
                <p id="billing-rule-text">
                    { "Billing rule: " }<strong>{ current.label() }</strong>
                    <span class="muted">{ " (an admin can change it)" }</span>
                </p>
            }
            <ProblemBanner error={(*error).clone()} />
        </div>
    }
}
