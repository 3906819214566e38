//! The names of the users the events on screen are about (the log holds their object ids).

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use shared::audit::AuditEvent;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::hooks::Api;

/// A user's principal name, or `None` when the directory no longer has them.
pub type UserNames = Rc<HashMap<String, Option<String>>>;

/// Looks up each user of `events` not looked up before; the names found so far.
#[hook]
pub fn use_user_names(api: &Api, events: &[AuditEvent]) -> UserNames {
    let names = use_mut_ref(HashMap::<String, Option<String>>::new);
    let shown = use_state(|| Rc::new(HashMap::new()));
    let wanted: BTreeSet<String> = events
        .iter()
        .filter_map(|event| event.user_id.clone())
        .filter(|id| !names.borrow().contains_key(id))
        .collect();
    {
        let (api, names, shown) = (api.clone(), names.clone(), shown.clone());
        use_effect_with(wanted, move |wanted| {
            let wanted = wanted.clone();
            if !wanted.is_empty() {
                spawn_local(async move {
                    for id in wanted {
                        let name = match api::get_user(api.token(), &id).await {
                            Ok(user) => Some(user.user_principal_name),
                            Err(_) => None,
                        };
                        names.borrow_mut().insert(id, name);
                    }
                    shown.set(Rc::new(names.borrow().clone()));
                });
            }
        });
    }
    (*shown).clone()
}
