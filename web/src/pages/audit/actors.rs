//! The choices of the "Who" filter: the portal itself, the account's members and (for admins)
//! its API tokens.

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::hooks::Api;

/// One choice: the `actor` filter's value and its words.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorChoice {
    pub value: String,
    pub label: String,
}

fn system() -> ActorChoice {
    ActorChoice {
        value: "system".into(),
        label: "The portal (system)".into(),
    }
}

/// The choices, fetched once. Without the lists (a refusal, a blip) only "system" is offered;
/// an actor can still be chosen from the table.
#[hook]
pub fn use_actor_choices(api: &Api, is_admin: bool) -> Rc<Vec<ActorChoice>> {
    let choices = use_state(|| Rc::new(vec![system()]));
    {
        let (api, choices) = (api.clone(), choices.clone());
        use_effect_with(is_admin, move |&is_admin| {
            spawn_local(async move {
                let mut found = vec![system()];
                let token = api.token();
                if let Ok(first) = api::list_members(token).await {
                    if let Ok(members) = api::rest_of(token, first).await {
                        found.extend(members.into_iter().map(|member| ActorChoice {
                            value: format!("user:{}", member.id),
                            label: member.email,
                        }));
                    }
                }
                if is_admin {
                    if let Ok(first) = api::list_api_tokens(token).await {
                        if let Ok(tokens) = api::rest_of(token, first).await {
                            found.extend(tokens.into_iter().map(|t| ActorChoice {
                                value: format!("token:{}", t.id),
                                label: format!("API token “{}”", t.name),
                            }));
                        }
                    }
                }
                choices.set(Rc::new(found));
            });
        });
    }
    (*choices).clone()
}
