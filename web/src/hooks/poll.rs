//! Following something the server works on in the background (a job, a user's phone service).

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use yew::platform::spawn_local;
use yew::platform::time::sleep;
use yew::prelude::*;

/// While `target` is `Some`, waits `every` and calls `step` with it, again and again until
/// `step` answers `false`. Stops as well when `target` changes or the component goes away.
#[hook]
pub fn use_poll<K, F, Fut>(target: Option<K>, every: Duration, step: F)
where
    K: PartialEq + Clone + 'static,
    F: Fn(K) -> Fut + 'static,
    Fut: Future<Output = bool> + 'static,
{
    use_effect_with(target, move |target| {
        let alive = Rc::new(Cell::new(true));
        if let Some(target) = target.clone() {
            let alive = Rc::clone(&alive);
            spawn_local(async move {
                loop {
                    sleep(every).await;
                    if !alive.get() || !step(target.clone()).await {
                        break;
                    }
                }
            });
        }
        move || alive.set(false)
    });
}
