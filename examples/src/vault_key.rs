//! The vault the example servers seal credentials with: the keys of
//! `PORTAL_VAULT_KEYS`; without them, in demo mode, a demo key of the server's own
//! (in a file beside the database, or in the process alone); outside demo mode, none.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use portal_core::random::{OsSecretSource, SecretSource as _};
use portal_core::vault::{KEY_BYTES, Vault};
use zeroize::Zeroizing;

use crate::config::{Config, DemoVaultKey};

/// The id of the demo key.
const DEMO_KEY_ID: &str = "demo";

/// The vault for `config`, if the server has one.
pub(crate) fn vault(config: &Config) -> Result<Option<Arc<Vault>>, Box<dyn std::error::Error>> {
    if let Some(vault) = &config.vault {
        tracing::info!(active = %vault.active(), keys = vault.key_ids().count(), "vault keys from PORTAL_VAULT_KEYS");
        return Ok(Some(vault.clone()));
    }
    if !config.demo {
        tracing::warn!(
            "PORTAL_VAULT_KEYS is not set: this portal has no vault, and credential tasks are refused"
        );
        return Ok(None);
    }
    let vault = match config.demo_vault_key() {
        DemoVaultKey::File(path) => {
            let vault = Vault::from_config(&demo_key_in(&path)?)?;
            tracing::warn!(
                file = %path.display(),
                "PORTAL_VAULT_KEYS is not set: credentials are sealed with a demo key kept in \
                 this file beside the database, for demos only; set PORTAL_VAULT_KEYS in production"
            );
            vault
        }
        DemoVaultKey::Process => {
            let vault = Vault::from_config(&new_demo_key()?)?;
            tracing::warn!(
                "PORTAL_VAULT_KEYS is not set: credentials are sealed with a demo key held by \
                 this process alone (gone at exit, as the in-memory store is), for demos only"
            );
            vault
        }
    };
    Ok(Some(Arc::new(vault)))
}

/// A new demo key in `PORTAL_VAULT_KEYS`'s form.
fn new_demo_key() -> Result<Zeroizing<String>, Box<dyn std::error::Error>> {
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    OsSecretSource.fill(&mut *key)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(*key);
    Ok(Zeroizing::new(format!("{DEMO_KEY_ID}:{encoded}")))
}

/// The demo key kept in `path`, made at the first start. A file that appears whole
/// or not at all: written under another name, readable by its owner alone, then
/// linked to `path`, which fails if another server sharing the folder made it first,
/// whose key is then used.
fn demo_key_in(path: &Path) -> Result<Zeroizing<String>, Box<dyn std::error::Error>> {
    if let Some(key) = read_key(path)? {
        return Ok(key);
    }
    let key = new_demo_key()?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("portal-vault.key");
    let mut tag = [0u8; 8];
    OsSecretSource.fill(&mut tag)?;
    let temp = path.with_file_name(format!(".{name}.{:016x}", u64::from_le_bytes(tag)));
    let mut file = owner_only().open(&temp)?;
    let written = file
        .write_all(format!("{}\n", key.as_str()).as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    // The temporary name goes whatever happened; the key lives on under `path`.
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key(path)?.ok_or_else(|| format!("{} is empty", path.display()).into())
        }
        Err(e) => Err(format!("cannot write the demo vault key {}: {e}", path.display()).into()),
    }
}

/// The key in `path`, if the file exists.
fn read_key(path: &Path) -> Result<Option<Zeroizing<String>>, Box<dyn std::error::Error>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            warn_if_others_may_read(path);
            Ok(Some(Zeroizing::new(text.trim().to_owned())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read the demo vault key {}: {e}", path.display()).into()),
    }
}

#[cfg(unix)]
fn owner_only() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn owner_only() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(unix)]
fn warn_if_others_may_read(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the demo vault key is readable by others than its owner");
    }
}

#[cfg(not(unix))]
fn warn_if_others_may_read(_: &Path) {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn folder() -> std::path::PathBuf {
        let mut b = [0u8; 8];
        OsSecretSource.fill(&mut b).unwrap();
        let dir = std::env::temp_dir().join(format!("portal-vault-key-{}", u64::from_le_bytes(b)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_demo_key_is_made_once_readable_by_its_owner_alone_and_kept() {
        let dir = folder();
        let path = dir.join("portal-vault.key");
        let first = demo_key_in(&path).unwrap();
        assert!(first.starts_with("demo:"));
        assert!(Vault::from_config(&first).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            *demo_key_in(&path).unwrap(),
            *first,
            "the same key at every start"
        );
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn servers_starting_at_once_share_one_demo_key() {
        let dir = folder();
        let path = dir.join("portal-vault.key");
        let keys: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| demo_key_in(&path).unwrap().to_string()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "one key");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
