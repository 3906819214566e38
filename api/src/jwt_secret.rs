//! The secret that signs portal sessions: `JWT_SECRET`, or the one kept in
//! `DATA_DIR/jwt-secret` (made on the first start, readable by the owner only).
//!
//! A kept secret is held to the same rule as the variable (at least 32 characters): an empty
//! or short file stops start-up with an error and is never silently replaced, since a new
//! secret would end every session and, with several processes, split them. The file is
//! written whole or not at all: to a temporary file, synced, then linked into place (which
//! fails if another process got there first), and the directory synced.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::api_token;

pub const MIN_CHARS: usize = 32;
const FILE_NAME: &str = "jwt-secret";
const GENERATED_CHARS: usize = 64;

/// `configured` when given, else the kept secret, made on the first start.
pub fn resolve(configured: Option<&SecretString>, data_dir: &Path) -> anyhow::Result<SecretString> {
    if let Some(secret) = configured {
        anyhow::ensure!(
            secret.expose_secret().chars().count() >= MIN_CHARS,
            "JWT_SECRET must have at least {MIN_CHARS} characters"
        );
        return Ok(secret.clone());
    }
    let path = data_dir.join(FILE_NAME);
    if let Some(kept) = read_kept(&path)? {
        return Ok(kept);
    }
    let secret = api_token::random_secret(GENERATED_CHARS);
    match write_new(&path, &secret)? {
        Written::Ours => {
            tracing::info!(path = %path.display(), "generated a JWT secret");
            Ok(SecretString::from(secret))
        }
        // Another process starting on the same DATA_DIR made one first: use theirs.
        Written::Theirs => {
            read_kept(&path)?.with_context(|| format!("{} vanished while starting", path.display()))
        }
    }
}

/// The kept secret, `None` when there is none yet; an unusable one is an error.
fn read_kept(path: &Path) -> anyhow::Result<Option<SecretString>> {
    let kept = match std::fs::read_to_string(path) {
        Ok(kept) => kept,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let kept = kept.trim();
    anyhow::ensure!(
        kept.chars().count() >= MIN_CHARS,
        "the kept JWT secret {} is unusable: it has {} characters, at least {MIN_CHARS} are \
         needed. Restore it, set JWT_SECRET, or delete the file to generate a new one (which \
         signs everyone out)",
        path.display(),
        kept.chars().count()
    );
    Ok(Some(SecretString::from(kept)))
}

enum Written {
    Ours,
    Theirs,
}

fn write_new(path: &Path, secret: &str) -> anyhow::Result<Written> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temporary = temporary_path(path);
    let result = (|| {
        write_synced(&temporary, secret)?;
        // A hard link never replaces an existing file: the first process to link wins.
        match std::fs::hard_link(&temporary, path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(Written::Theirs),
            Err(e) => {
                return Err(e).with_context(|| format!("creating {}", path.display()));
            }
        }
        sync_dir(dir)?;
        Ok(Written::Ours)
    })();
    let _ = std::fs::remove_file(&temporary);
    result
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", api_token::random_secret(12)));
    path.with_file_name(name)
}

/// Creates `path` (owner-only) with `contents`, flushed to the disk.
fn write_synced(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Makes a new directory entry durable.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_is_kept_whole_and_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(None, dir.path()).unwrap();
        assert_eq!(first.expose_secret().len(), GENERATED_CHARS);
        let path = dir.path().join(FILE_NAME);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            first.expose_secret()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Nothing but the secret is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
        let again = resolve(None, dir.path()).unwrap();
        assert_eq!(again.expose_secret(), first.expose_secret());
    }

    #[test]
    fn an_empty_or_short_kept_secret_stops_start_up() {
        for kept in ["", "\n", "short secret", &"x".repeat(MIN_CHARS - 1)] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(FILE_NAME);
            std::fs::write(&path, kept).unwrap();
            let err = resolve(None, dir.path()).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("unusable")),
                "{kept:?}: {err:?}"
            );
            // Left as it was, for the operator to look at.
            assert_eq!(std::fs::read_to_string(&path).unwrap(), kept);
        }
    }

    #[test]
    fn a_temporary_file_left_by_a_crash_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join("jwt-secret.tmp-crashed");
        std::fs::write(&stale, "").unwrap();
        let secret = resolve(None, dir.path()).unwrap();
        assert_eq!(secret.expose_secret().len(), GENERATED_CHARS);
    }

    #[test]
    fn the_variable_needs_32_characters_too() {
        let dir = tempfile::tempdir().unwrap();
        let short = SecretString::from("x".repeat(MIN_CHARS - 1));
        assert!(resolve(Some(&short), dir.path()).is_err());
        let long = SecretString::from("x".repeat(MIN_CHARS));
        assert!(resolve(Some(&long), dir.path()).is_ok());
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn a_secret_made_by_another_process_first_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let theirs = "t".repeat(GENERATED_CHARS);
        std::fs::write(&path, &theirs).unwrap();
        assert!(matches!(write_new(&path, "mine"), Ok(Written::Theirs)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
    }
}
