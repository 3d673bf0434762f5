//! Builds a profile's root tree on the host: the Debian base (debootstrap, or plain
//! unpacked packages for the tiny profile), then the webvm customisation (hostname, the
//! unprivileged user, examples) and pruning of what a VM does not need.
//!
//! Downloads are cached under the cache folder (outside the clone), so a rebuild does not
//! fetch packages again.

use crate::command::{output_of, run_logged};
use crate::error::BuildError;
use crate::profile::{Base, Profile, ARCH, SUITE, USER_ID, USER_NAME};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TreeBuild<'a> {
    pub profile: &'a Profile,
    pub root: &'a Path,
    pub cache: &'a Path,
    pub mirror: &'a str,
    pub examples: &'a Path,
    pub log: &'a Path,
}

impl TreeBuild<'_> {
    pub fn run(&self) -> Result<(), BuildError> {
        if self.root.exists() {
            fs::remove_dir_all(self.root).map_err(BuildError::io(self.root))?;
        }
        match &self.profile.base {
            Base::Unpacked { packages } => self.unpack(packages)?,
            Base::Debootstrap { include } => self.debootstrap(include)?,
        }
        self.customise()?;
        self.prune()
    }

    fn debootstrap(&self, include: &[&str]) -> Result<(), BuildError> {
        let cache = self.cache.join("debootstrap");
        fs::create_dir_all(&cache).map_err(BuildError::io(&cache))?;
        run_logged(
            "debootstrap",
            Command::new("debootstrap")
                .arg(format!("--arch={ARCH}"))
                .arg("--variant=minbase")
                .arg(format!("--cache-dir={}", cache.display()))
                .arg(format!("--include={}", include.join(",")))
                .arg(SUITE)
                .arg(self.root)
                .arg(self.mirror),
            self.log,
        )
    }

    /// Downloads (once) and unpacks the named i386 packages without running any of their
    /// maintainer scripts, then installs busybox's applet links.
    fn unpack(&self, packages: &[&str]) -> Result<(), BuildError> {
        let debs = self.cache.join("debs");
        fs::create_dir_all(&debs).map_err(BuildError::io(&debs))?;
        fs::create_dir_all(self.root).map_err(BuildError::io(self.root))?;
        for package in packages {
            let deb = match cached_deb(&debs, package)? {
                Some(deb) => deb,
                None => {
                    run_logged(
                        &format!(
                            "apt-get download {package}:{ARCH} (needs `dpkg --add-architecture {ARCH} && apt-get update`)"
                        ),
                        Command::new("apt-get")
                            .arg("download")
                            .arg(format!("{package}:{ARCH}"))
                            .current_dir(&debs),
                        self.log,
                    )?;
                    cached_deb(&debs, package)?.ok_or_else(|| BuildError::CommandFailed {
                        what: format!("apt-get download {package}:{ARCH} left no .deb"),
                        status: "exit status 0".into(),
                        log: self.log.to_path_buf(),
                    })?
                }
            };
            run_logged(
                &format!("dpkg-deb -x {}", deb.display()),
                Command::new("dpkg-deb").arg("-x").arg(&deb).arg(self.root),
                self.log,
            )?;
        }
        let busybox = self.root.join("bin/busybox");
        if busybox.exists() {
            self.link_busybox_applets(&busybox)?;
        }
        Ok(())
    }

    fn link_busybox_applets(&self, busybox: &Path) -> Result<(), BuildError> {
        let list = output_of(
            "busybox --list-full (the host must run i386 binaries)",
            Command::new(busybox).arg("--list-full"),
        )?;
        for applet in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let link = self.root.join(applet);
            if link.symlink_metadata().is_ok() {
                continue;
            }
            if let Some(parent) = link.parent() {
                fs::create_dir_all(parent).map_err(BuildError::io(parent))?;
            }
            symlink("/bin/busybox", &link).map_err(BuildError::io(&link))?;
        }
        Ok(())
    }

    fn customise(&self) -> Result<(), BuildError> {
        let root = self.root;
        for (dir, mode) in [
            ("proc", 0o555),
            ("sys", 0o555),
            ("dev", 0o755),
            ("tmp", 0o1777),
            ("root", 0o700),
            ("home", 0o755),
            ("etc", 0o755),
        ] {
            let path = root.join(dir);
            fs::create_dir_all(&path).map_err(BuildError::io(&path))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .map_err(BuildError::io(&path))?;
        }
        write(root, "etc/hostname", "webvm\n")?;
        write(
            root,
            "etc/hosts",
            "127.0.0.1\tlocalhost\n127.0.1.1\twebvm\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        )?;
        let shell = if root.join("bin/bash").exists() || root.join("usr/bin/bash").exists() {
            "/bin/bash"
        } else {
            "/bin/sh"
        };
        self.ensure_accounts(shell)?;
        let home = root.join("home").join(USER_NAME);
        fs::create_dir_all(&home).map_err(BuildError::io(&home))?;
        let skel = root.join("etc/skel");
        if skel.is_dir() {
            copy_tree(&skel, &home)?;
        }
        if self.profile.examples {
            copy_tree(self.examples, &home.join("examples"))?;
        }
        chown_tree(&home, USER_ID, USER_ID)?;
        if matches!(self.profile.base, Base::Debootstrap { .. }) {
            write(
                root,
                "etc/motd",
                "\nWelcome to webvm: Debian bookworm i386, without a guest kernel.\n\
                 Try: python3 examples/python3/fibonacci.py\n     \
                 gcc -o helloworld examples/c/helloworld.c && ./helloworld\n\n",
            )?;
        }
        Ok(())
    }

    /// root and the unprivileged user, added to whatever accounts the base created.
    fn ensure_accounts(&self, shell: &str) -> Result<(), BuildError> {
        let root = self.root;
        let root_entry = "root:x:0:0:root:/root:".to_string() + shell;
        let user_entry =
            format!("{USER_NAME}:x:{USER_ID}:{USER_ID}:webvm user:/home/{USER_NAME}:{shell}");
        append_missing(
            root,
            "etc/passwd",
            &[
                &root_entry,
                &user_entry,
                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
            ],
        )?;
        append_missing(
            root,
            "etc/group",
            &[
                "root:x:0:",
                &format!("{USER_NAME}:x:{USER_ID}:"),
                "nogroup:x:65534:",
            ],
        )?;
        append_missing(
            root,
            "etc/shadow",
            &[
                "root:*:19000:0:99999:7:::",
                &format!("{USER_NAME}:*:19000:0:99999:7:::"),
            ],
        )?;
        let shadow = root.join("etc/shadow");
        fs::set_permissions(&shadow, fs::Permissions::from_mode(0o640))
            .map_err(BuildError::io(&shadow))
    }

    fn prune(&self) -> Result<(), BuildError> {
        for relative in self.profile.prune {
            let dir = self.root.join(relative);
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.map_err(BuildError::io(&dir))?.path();
                let is_dir = path.symlink_metadata().map(|m| m.is_dir()).unwrap_or(false);
                if is_dir && path.file_name().is_some_and(|n| n == "partial") {
                    continue; // apt expects archives/partial to exist
                }
                let removed = if is_dir {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(BuildError::io(&path))?;
            }
        }
        Ok(())
    }
}

fn cached_deb(debs: &Path, package: &str) -> Result<Option<PathBuf>, BuildError> {
    let prefix = format!("{package}_");
    let suffix = format!("_{ARCH}.deb");
    let mut found = None;
    for entry in fs::read_dir(debs).map_err(BuildError::io(debs))? {
        let entry = entry.map_err(BuildError::io(debs))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(&suffix) {
            found = Some(entry.path());
        }
    }
    Ok(found)
}

fn write(root: &Path, relative: &str, content: &str) -> Result<(), BuildError> {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(BuildError::io(parent))?;
    }
    fs::write(&path, content).map_err(BuildError::io(&path))
}

/// Appends each line whose account name (text before the first `:`) is not yet present.
fn append_missing(root: &Path, relative: &str, lines: &[&str]) -> Result<(), BuildError> {
    let path = root.join(relative);
    let mut content = fs::read_to_string(&path).unwrap_or_default();
    for line in lines {
        let name = line.split(':').next().unwrap_or_default();
        let present = content.lines().any(|l| l.split(':').next() == Some(name));
        if !present {
            if !content.is_empty() && !content.ends_with('\n') {
                content.push('\n');
            }
            content.push_str(line);
            content.push('\n');
        }
    }
    write(root, relative, &content)
}

/// Copies files, folders and symlinks from `from` into `to`, keeping permission bits.
fn copy_tree(from: &Path, to: &Path) -> Result<(), BuildError> {
    fs::create_dir_all(to).map_err(BuildError::io(to))?;
    for entry in fs::read_dir(from).map_err(BuildError::io(from))? {
        let entry = entry.map_err(BuildError::io(from))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let meta = source.symlink_metadata().map_err(BuildError::io(&source))?;
        if meta.is_dir() {
            copy_tree(&source, &target)?;
        } else if meta.file_type().is_symlink() {
            let dest = fs::read_link(&source).map_err(BuildError::io(&source))?;
            let _ = fs::remove_file(&target);
            symlink(dest, &target).map_err(BuildError::io(&target))?;
        } else {
            fs::copy(&source, &target).map_err(BuildError::io(&target))?;
        }
    }
    Ok(())
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<(), BuildError> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(BuildError::io(path))?;
    let meta = path.symlink_metadata().map_err(BuildError::io(path))?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(BuildError::io(path))? {
            chown_tree(&entry.map_err(BuildError::io(path))?.path(), uid, gid)?;
        }
    }
    Ok(())
}
