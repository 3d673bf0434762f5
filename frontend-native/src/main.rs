//! The native `webvm` command: the entry point users type.
//!
//! Owns command-line parsing and hands each subcommand to its module. It must stay thin:
//! the machine lives in `emulator`, device models in `devices`.

mod image_cmd;
mod run_cmd;
mod serve_cmd;
mod site;
mod web_build;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "webvm",
    version,
    about = "Run Debian i386 programs without a guest kernel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a command (default: root's login shell) inside the VM.
    Run(run_cmd::RunArgs),
    /// Inspect published images, merge or discard overlays.
    Image {
        #[command(subcommand)]
        action: image_cmd::ImageAction,
    },
    /// Serve the web page and the images on localhost (with COOP/COEP headers).
    Serve(serve_cmd::ServeArgs),
    /// Write the web page as a folder for a static host.
    BuildWeb(web_build::BuildWebArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run_cmd::execute(args),
        Command::Image { action } => image_cmd::execute(action),
        Command::Serve(args) => serve_cmd::execute(args),
        Command::BuildWeb(args) => web_build::execute(args),
    }
}
