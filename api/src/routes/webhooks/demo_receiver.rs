//! The demo's webhook receiver, mounted in simulated mode only (beside the simulator, on a
//! loopback listener): point an endpoint at `PUBLIC_URL/_demo/webhook-receiver` and open
//! the same address in a browser to see what arrived, newest first.
//!
//! `POST` keeps the request's headers and body in memory (the last [`KEEP`], nothing written
//! anywhere) and answers `204`. `GET` shows them as a small HTML page: every value is
//! HTML-escaped, and the page has no script or inline style, so the web app's
//! Content-Security-Policy (which it gets) holds. It verifies nothing: it has no secret.

use std::{collections::VecDeque, sync::Mutex};

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use html_escape::encode_text;

pub const PATH: &str = "/_demo/webhook-receiver";
/// Requests kept; older ones are dropped.
pub const KEEP: usize = 50;
/// The most of a body kept (the server's body limit applies first).
const BODY_MAX_BYTES: usize = 64 * 1024;
/// Never kept, whoever sends them.
const DROPPED_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// What arrived, newest first.
#[derive(Default)]
pub struct Inbox(Mutex<VecDeque<Received>>);

struct Received {
    at: DateTime<Utc>,
    headers: Vec<(String, String)>,
    body: String,
}

impl Inbox {
    fn keep(&self, received: Received) {
        let mut inbox = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inbox.push_front(received);
        inbox.truncate(KEEP);
    }
}

pub fn configure(cfg: &mut web::ServiceConfig, inbox: web::Data<Inbox>) {
    cfg.service(
        web::resource(PATH)
            .app_data(inbox)
            .route(web::post().to(receive))
            .route(web::get().to(page))
            .route(web::head().to(present)),
    );
}

/// The header that tells the web app the receiver is here (any other path answers the app's
/// own page, so a 2xx alone does not tell).
pub const MARKER: &str = "x-demo-webhook-receiver";

async fn present() -> HttpResponse {
    HttpResponse::Ok().insert_header((MARKER, "1")).finish()
}

async fn receive(inbox: web::Data<Inbox>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter(|(name, _)| !DROPPED_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.sort();
    let kept = body.get(..BODY_MAX_BYTES).unwrap_or(&body);
    inbox.keep(Received {
        at: Utc::now(),
        headers,
        body: String::from_utf8_lossy(kept).into_owned(),
    });
    HttpResponse::NoContent().finish()
}

async fn page(inbox: web::Data<Inbox>) -> HttpResponse {
    let html = {
        let inbox = inbox.0.lock().unwrap_or_else(|e| e.into_inner());
        render(inbox.iter())
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(html)
}

fn render<'a>(received: impl ExactSizeIterator<Item = &'a Received>) -> String {
    let count = received.len();
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"refresh\" content=\"5\">\n\
         <title>Webhook receiver (demo)</title>\n</head>\n<body>\n\
         <h1>Webhook receiver (demo)</h1>\n",
    );
    html.push_str(&format!(
        "<p>Point a webhook endpoint at <code>{PATH}</code> on this server. The last {KEEP} \
         requests are kept in memory, newest first ({count} now); this page refreshes every \
         5 seconds. Signatures are not checked here: the receiver has no secret.</p>\n"
    ));
    if count == 0 {
        html.push_str("<p>Nothing has arrived yet.</p>\n");
    }
    for item in received {
        let event = serde_json::from_str::<serde_json::Value>(&item.body).ok();
        let kind = event
            .as_ref()
            .and_then(|e| e.get("type"))
            .and_then(|t| t.as_str())
            .unwrap_or("(not a JSON event)");
        let body = event
            .as_ref()
            .and_then(|e| serde_json::to_string_pretty(e).ok())
            .unwrap_or_else(|| item.body.clone());
        html.push_str(&format!(
            "<section>\n<h2>{} <small>{}</small></h2>\n<table>\n",
            encode_text(kind),
            encode_text(&item.at.to_rfc3339_opts(SecondsFormat::Millis, true)),
        ));
        for (name, value) in &item.headers {
            html.push_str(&format!(
                "<tr><th>{}</th><td><code>{}</code></td></tr>\n",
                encode_text(name),
                encode_text(value)
            ));
        }
        html.push_str(&format!(
            "</table>\n<pre>{}</pre>\n</section>\n",
            encode_text(&body)
        ));
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(body: &str) -> Received {
        Received {
            at: Utc::now(),
            headers: vec![("webhook-id".into(), "msg_<b>".into())],
            body: body.to_owned(),
        }
    }

    #[test]
    fn everything_shown_is_escaped() {
        let items = [received(
            r#"{"type":"<script>alert(1)</script>","data":{}}"#,
        )];
        let html = render(items.iter());
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("msg_&lt;b&gt;"));
        assert!(!html.contains("style="));
    }

    #[test]
    fn the_inbox_keeps_the_newest_only() {
        let inbox = Inbox::default();
        for i in 0..KEEP + 5 {
            inbox.keep(received(&format!("{{\"n\":{i}}}")));
        }
        let kept = inbox.0.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(kept.len(), KEEP);
        assert_eq!(kept.front().map(|r| r.body.as_str()), Some("{\"n\":54}"));
    }
}
