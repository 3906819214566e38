//! Serves the built web app. Unknown non-API paths answer `index.html`, so the app's own
//! routes survive a reload.

use std::path::PathBuf;

use actix_files::{Files, NamedFile};
use actix_web::{
    dev::{fn_service, ServiceRequest, ServiceResponse},
    web, HttpResponse,
};

pub fn configure(cfg: &mut web::ServiceConfig, web_dir: PathBuf) {
    let index = web_dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %web_dir.display(), "the web app is not built; run `make build`");
        cfg.default_service(web::to(|| async {
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("The web app is not built. Run `make build` (or `make run`).")
        }));
        return;
    }
    cfg.service(
        Files::new("/", web_dir)
            .index_file("index.html")
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let file = web::block(move || NamedFile::open(index)).await??;
                    let res = file.into_response(&req);
                    Ok(ServiceResponse::new(req, res))
                }
            })),
    );
}
