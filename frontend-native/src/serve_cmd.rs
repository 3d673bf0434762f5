//! `webvm serve`: the web page, its wasm and the published image chunks on localhost,
//! with the headers the page needs (COOP `same-origin`, COEP `require-corp`, CORP),
//! correct MIME types and byte ranges (64-bit offsets).
//!
//! Owns the HTTP side only, on `axum` with `tower-http`'s `ServeFile` (ranges,
//! conditional requests); which file a URL means is `site`'s job.

use crate::site::{self, Resolved, Site};
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

#[derive(Args)]
pub struct ServeArgs {
    /// Image profile the page boots (`/?image=images/NAME/` picks another).
    #[arg(long, default_value = "default")]
    profile: String,
    /// Folder holding the built profiles.
    #[arg(long, env = "WEBVM_IMAGES", default_value = "images")]
    images: PathBuf,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The `frontend-web` folder (page, `pkg/` from wasm-bindgen, `node_modules/`).
    #[arg(long, env = "WEBVM_WEB")]
    web: Option<PathBuf>,
}

/// Cross-origin isolation for the page; CORP `cross-origin` on the image so a page on
/// another origin may embed it; chunks (named by their hash) cached forever.
fn add_headers(url: &str, resp: &mut Response<Body>) {
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-embedder-policy", "require-corp");
    let corp = if url.starts_with("/images/") {
        "cross-origin"
    } else {
        "same-origin"
    };
    set(h, "cross-origin-resource-policy", corp);
    set(h, "x-content-type-options", "nosniff");
    let cache = if url.contains("/chunks/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    set(h, "cache-control", cache);
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

async fn respond(site: Arc<Site>, req: Request<Body>) -> Response<Body> {
    let url = req.uri().path().to_string();
    let mut resp = match site.resolve(&url) {
        Resolved::NotFound => text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            format!("not found: {url}\n"),
        ),
        Resolved::Config(json) => text(StatusCode::OK, "application/json", json),
        Resolved::File(path) => {
            let mime = HeaderValue::from_static(site::mime_type(&path));
            match ServeFile::new(&path).oneshot(req).await {
                Ok(r) => {
                    let mut r = r.map(Body::new);
                    if r.status().is_success() {
                        r.headers_mut().insert(header::CONTENT_TYPE, mime);
                    }
                    r
                }
                Err(e) => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain; charset=utf-8",
                    format!("{e}\n"),
                ),
            }
        }
    };
    add_headers(&url, &mut resp);
    resp
}

/// Starts the server; returns only on a fatal error.
pub fn execute(args: ServeArgs) -> ExitCode {
    let site = Site {
        web: args.web.unwrap_or_else(site::default_web_dir),
        images: args.images,
        profile: args.profile,
    };
    for missing in crate::web_build::missing_parts(&site) {
        eprintln!("webvm serve: warning: {missing}");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("webvm serve: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "webvm serve: cannot listen on {}:{}: {e}",
                    args.host, args.port
                );
                return ExitCode::from(1);
            }
        };
        let port = listener.local_addr().map_or(args.port, |a| a.port());
        println!("webvm: serving http://{}:{port}/", args.host);
        let _ = std::io::stdout().flush();
        let site = Arc::new(site);
        let app =
            axum::Router::new().fallback(move |req: Request<Body>| respond(site.clone(), req));
        match axum::serve(listener, app).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("webvm serve: {e}");
                ExitCode::from(1)
            }
        }
    })
}
