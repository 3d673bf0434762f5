//! `webvm serve`: the web page, its wasm and the published image chunks on localhost,
//! with the headers the page needs (COOP `same-origin`, COEP `require-corp`, CORP),
//! correct MIME types and byte ranges.
//!
//! Owns the HTTP side only (on `tiny_http`, one thread per request); which file a URL
//! means is `site`'s job.

use crate::http_range::{self, RangeRequest};
use crate::site::{self, Resolved, Site};
use clap::Args;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

#[derive(Args)]
pub struct ServeArgs {
    /// Image profile the page boots (`/?image=images/NAME/` picks another).
    #[arg(long, default_value = "default")]
    profile: String,
    /// Folder holding the built profiles.
    #[arg(long, env = "WEBVM_IMAGES", default_value = "images")]
    images: PathBuf,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The `frontend-web` folder (page, `pkg/` from wasm-bindgen, `node_modules/`).
    #[arg(long, env = "WEBVM_WEB")]
    web: Option<PathBuf>,
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

/// Headers every response carries: cross-origin isolation for the page, and CORP so
/// a page on another origin may still embed the image chunks.
fn isolation_headers(url: &str) -> Vec<Header> {
    let corp = if url.starts_with("/images/") {
        "cross-origin"
    } else {
        "same-origin"
    };
    vec![
        header("Cross-Origin-Opener-Policy", "same-origin"),
        header("Cross-Origin-Embedder-Policy", "require-corp"),
        header("Cross-Origin-Resource-Policy", corp),
        header("X-Content-Type-Options", "nosniff"),
    ]
}

fn respond(site: &Site, req: Request) -> std::io::Result<()> {
    let url = req.url().to_string();
    let mut headers = isolation_headers(&url);
    if !matches!(req.method(), Method::Get | Method::Head) {
        let r = Response::empty(StatusCode(405)).with_header(header("Allow", "GET, HEAD"));
        return req.respond(r);
    }
    let path = match site.resolve(&url) {
        Resolved::NotFound => {
            let mut r = Response::from_string(format!("not found: {url}\n"))
                .with_status_code(404)
                .with_header(header("Content-Type", "text/plain; charset=utf-8"));
            for h in headers {
                r.add_header(h);
            }
            return req.respond(r);
        }
        Resolved::Config(json) => {
            let mut r = Response::from_string(json)
                .with_header(header("Content-Type", "application/json"))
                .with_header(header("Cache-Control", "no-cache"));
            for h in headers {
                r.add_header(h);
            }
            return req.respond(r);
        }
        Resolved::File(p) => p,
    };
    let mut file = File::open(&path)?;
    let len = file.metadata()?.len();
    headers.push(header("Content-Type", site::mime_type(&path)));
    headers.push(header("Accept-Ranges", "bytes"));
    // Chunks are named by their hash: they never change.
    let cache = if url.contains("/chunks/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.push(header("Cache-Control", cache));
    let range = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_string());
    let (status, start, count) = match http_range::parse(range.as_deref(), len) {
        RangeRequest::Whole => (200, 0, len),
        RangeRequest::Part { start, end } => {
            headers.push(header(
                "Content-Range",
                &format!("bytes {start}-{end}/{len}"),
            ));
            (206, start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => {
            headers.push(header("Content-Range", &format!("bytes */{len}")));
            let mut r = Response::empty(StatusCode(416));
            for h in headers {
                r.add_header(h);
            }
            return req.respond(r);
        }
    };
    file.seek(SeekFrom::Start(start))?;
    let body = file.take(count);
    let count = usize::try_from(count).ok();
    let r = Response::new(StatusCode(status), headers, body, count, None);
    req.respond(r)
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
    let server = match Server::http((args.host.as_str(), args.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "webvm serve: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::from(1);
        }
    };
    let port = server.server_addr().to_ip().map_or(args.port, |a| a.port());
    println!("webvm: serving http://{}:{port}/", args.host);
    let _ = std::io::stdout().flush();
    let site = std::sync::Arc::new(site);
    for req in server.incoming_requests() {
        let site = site.clone();
        std::thread::spawn(move || {
            if let Err(e) = respond(&site, req) {
                // The browser closing a connection mid-response is not worth a line.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("webvm serve: {e}");
                }
            }
        });
    }
    ExitCode::SUCCESS
}
