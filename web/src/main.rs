//! Tenant Connect: the admin portal's single-page app.

mod api;
mod app;
mod clock;
mod components;
mod download;
mod format;
mod hooks;
mod labels;
mod pages;
mod route;
mod session;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
