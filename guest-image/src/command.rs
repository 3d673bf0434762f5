//! Running the external tools a build needs (debootstrap, dpkg-deb, mke2fs, e2fsck) with
//! their output captured to a log file, and checking that they exist beforehand.

use crate::error::BuildError;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

/// Fails with the package to install when `tool` is not on the PATH (or in sbin).
pub fn require_tool(tool: &str, package: &str) -> Result<(), BuildError> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    let in_sbin = ["/usr/sbin", "/sbin"]
        .iter()
        .any(|dir| Path::new(dir).join(tool).is_file());
    if on_path || in_sbin {
        Ok(())
    } else {
        Err(BuildError::MissingTool {
            tool: tool.into(),
            package: package.into(),
        })
    }
}

/// Runs `command`, appending its stdout and stderr to `log`; fails unless it exits 0.
pub fn run_logged(what: &str, command: &mut Command, log: &Path) -> Result<(), BuildError> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(BuildError::io(log))?;
    let err = out.try_clone().map_err(BuildError::io(log))?;
    let path = std::env::var("PATH").unwrap_or_default();
    let status = command
        .env("PATH", format!("{path}:/usr/sbin:/sbin"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|source| BuildError::Spawn {
            what: what.into(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::CommandFailed {
            what: what.into(),
            status: status.to_string(),
            log: log.to_path_buf(),
        })
    }
}

/// Runs `command` and returns its stdout; fails unless it exits 0.
pub fn output_of(what: &str, command: &mut Command) -> Result<String, BuildError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BuildError::Spawn {
            what: what.into(),
            source,
        })?;
    if !output.status.success() {
        return Err(BuildError::CommandFailed {
            what: format!("{what}: {}", String::from_utf8_lossy(&output.stderr).trim()),
            status: output.status.to_string(),
            log: "(stderr shown above)".into(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
