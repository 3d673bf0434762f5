//! The native `webvm` command: the entry point users type.
//!
//! Owns command-line parsing and hands each subcommand to its module. It must stay thin:
//! the machine lives in `emulator`, device models in `devices`.

mod image_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
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
    /// Run a command (default: the login shell) inside the VM.
    Run {
        /// Image profile to boot, as built by `guest-image build`.
        #[arg(long, default_value = "default")]
        profile: String,
        /// Folder holding the built profiles.
        #[arg(long, default_value = "images")]
        images: PathBuf,
        /// Command and arguments to run in the guest.
        #[arg(trailing_var_arg = true)]
        command: Vec<String>,
    },
    /// Inspect published images, merge or discard overlays.
    Image {
        #[command(subcommand)]
        action: image_cmd::ImageAction,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            profile,
            images,
            command: _,
        } => run_not_ready(&images.join(&profile)),
        Command::Image { action } => image_cmd::execute(action),
    }
}

/// `webvm run` needs the Linux personality, which is not built yet: say exactly what is
/// ready and what is not, and fail so scripts notice.
fn run_not_ready(profile_dir: &std::path::Path) -> ExitCode {
    match image_cmd::verify_folder(profile_dir) {
        Ok(summary) => eprintln!("webvm: image ready: {summary}"),
        Err(e) => eprintln!(
            "webvm: image at {} is not usable: {e}",
            profile_dir.display()
        ),
    }
    eprintln!(
        "webvm: `run` cannot start a guest yet: the i386 CPU, the ext2 driver and the Linux \
         personality are still being built (see docs/ARCHITECTURE.md, \"State of the work\")."
    );
    ExitCode::from(2)
}
