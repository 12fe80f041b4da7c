//! The vault: the keys that seal what clients hand over in credential tasks, and the
//! authenticated encryption that seals it.
//!
//! - **Cipher**: XChaCha20-Poly1305. Its 24-byte nonce is drawn at random for every
//!   value sealed, so nonces need no counter shared between instances.
//! - **Associated data**: the firm, the client, the task and the field's name are bound
//!   into every ciphertext ([`SealContext`]). A ciphertext copied to another row, another
//!   client's task or another field of the same task fails to open, as does one with a
//!   flipped bit: [`VaultError::Tampered`].
//! - **Keys come from the host**, never from the database: [`Vault::from_config`] reads
//!   `id:base64key` pairs (the example servers take them from `PORTAL_VAULT_KEYS`). The
//!   first key seals everything new; the others only open what they sealed, until
//!   [`Portal::rotate_vault`](crate::Portal::rotate_vault) has moved it under the first.
//!   Each stored credential names the key that sealed it ([`KeyId`]).
//! - **Plaintext** lives in [`SecretText`] and [`Zeroizing`] buffers, wiped when dropped,
//!   and prints nothing in `Debug`.

use std::fmt;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::id::{ClientId, FirmId, TaskId};
use crate::random::{RandomnessUnavailable, SecretSource};

/// Bytes in a key.
pub const KEY_BYTES: usize = 32;
/// Bytes in a nonce.
pub const NONCE_BYTES: usize = 24;
/// The longest key id.
pub const MAX_KEY_ID: usize = 32;

/// The name of a vault key, stored beside every ciphertext it sealed: 1 to 32 ASCII
/// letters, digits, `-`, `_` or `.`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// A key id, checked.
    pub fn new(id: &str) -> Result<KeyId, VaultConfigError> {
        let ok = !id.is_empty()
            && id.len() <= MAX_KEY_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if ok {
            Ok(KeyId(id.to_owned()))
        } else {
            Err(VaultConfigError::KeyId)
        }
    }

    /// Its text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// Text a client handed over: wiped from memory when dropped, never printed.
///
/// It has no `Display` and no `Serialize`, and its `Debug` shows nothing of it; the
/// one way to its characters is [`SecretText::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// Wraps `text`.
    #[must_use]
    pub fn new(text: String) -> SecretText {
        SecretText(Zeroizing::new(text))
    }

    /// The text.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(..)")
    }
}

impl<'de> serde::Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = SecretText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretText, E> {
                Ok(SecretText::new(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretText, E> {
                Ok(SecretText::new(v))
            }
        }
        // A value of another type is refused without quoting it (serde's own message
        // for a string where a map is expected would repeat the string).
        d.deserialize_string(Visit)
    }
}

/// One key of the vault.
pub struct VaultKey {
    id: KeyId,
    key: Zeroizing<[u8; KEY_BYTES]>,
}

impl VaultKey {
    /// A key of exactly [`KEY_BYTES`] bytes.
    pub fn new(id: KeyId, key: &[u8]) -> Result<VaultKey, VaultConfigError> {
        let key: [u8; KEY_BYTES] = key.try_into().map_err(|_| VaultConfigError::KeyLength {
            id: id.clone(),
            bytes: key.len(),
        })?;
        Ok(VaultKey {
            id,
            key: Zeroizing::new(key),
        })
    }

    /// A key given as standard base64 (padded or not).
    pub fn from_base64(id: KeyId, key: &str) -> Result<VaultKey, VaultConfigError> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(key.trim_end_matches('='))
                .or_else(|_| {
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .decode(key.trim_end_matches('='))
                })
                .map_err(|_| VaultConfigError::NotBase64 { id: id.clone() })?,
        );
        VaultKey::new(id, &bytes)
    }

    /// Its id.
    #[must_use]
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.key).into())
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The host's configuration of the vault that [`Vault::from_config`] refuses. The
/// messages name a key by its id, never by any part of the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaultConfigError {
    /// No key at all.
    #[error("the vault needs at least one key")]
    Empty,
    /// An entry that is not `id:base64key`.
    #[error("vault key {0} is not of the form id:base64key")]
    Malformed(usize),
    /// A key id that is empty, too long or holds other characters.
    #[error("a vault key id has 1 to 32 letters, digits, '-', '_' or '.'")]
    KeyId,
    /// A key that is not base64.
    #[error("vault key {id} is not base64")]
    NotBase64 {
        /// The key's id.
        id: KeyId,
    },
    /// A key of the wrong length.
    #[error("vault key {id} has {bytes} bytes; a key has 32")]
    KeyLength {
        /// The key's id.
        id: KeyId,
        /// How many it has.
        bytes: usize,
    },
    /// Two keys of one id.
    #[error("vault key id {0} is given twice")]
    Duplicate(KeyId),
}

/// A sealing or an opening that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The portal has no vault: credentials are refused rather than kept in clear.
    #[error("no vault key is configured: credentials cannot be accepted")]
    NoVault,
    /// The ciphertext names a key the vault no longer has.
    #[error("the vault has no key {0}")]
    UnknownKey(KeyId),
    /// The ciphertext does not open under its key and context: altered, or moved from
    /// another task, client or field.
    #[error("a sealed value was altered or moved")]
    Tampered,
    /// No randomness for a nonce.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
}

/// Where a sealed value belongs: bound into its ciphertext as associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealContext<'a> {
    /// The firm.
    pub firm: FirmId,
    /// The client.
    pub client: ClientId,
    /// The task.
    pub task: TaskId,
    /// The field's name.
    pub field: &'a str,
}

impl SealContext<'_> {
    /// The associated data: a label, then the three ids at fixed width, then the field,
    /// so that no two contexts give the same bytes.
    fn associated_data(&self) -> Vec<u8> {
        const LABEL: &[u8] = b"portal.credential.v1\0";
        let mut aad = Vec::with_capacity(LABEL.len() + 48 + self.field.len());
        aad.extend_from_slice(LABEL);
        aad.extend_from_slice(self.firm.as_bytes());
        aad.extend_from_slice(self.client.as_bytes());
        aad.extend_from_slice(self.task.as_bytes());
        aad.extend_from_slice(self.field.as_bytes());
        aad
    }
}

/// A sealed value: its nonce and its ciphertext (with the 16-byte tag). Its key is
/// named by the credential that holds it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedValue {
    /// The nonce, drawn at random for this value.
    #[serde(with = "base64_bytes")]
    pub nonce: Vec<u8>,
    /// The ciphertext and its tag.
    #[serde(with = "base64_bytes")]
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedValue({} bytes)", self.ciphertext.len())
    }
}

mod base64_bytes {
    use base64::Engine as _;

    pub(super) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

/// The host's keys: the first seals, all open.
#[derive(Debug)]
pub struct Vault {
    keys: Vec<VaultKey>,
}

impl Vault {
    /// A vault of `active` and the `older` keys kept to open what they sealed.
    pub fn new(
        active: VaultKey,
        older: impl IntoIterator<Item = VaultKey>,
    ) -> Result<Vault, VaultConfigError> {
        let mut keys = vec![active];
        for key in older {
            if keys.iter().any(|k| k.id == key.id) {
                return Err(VaultConfigError::Duplicate(key.id));
            }
            keys.push(key);
        }
        Ok(Vault { keys })
    }

    /// A vault from `id:base64key` pairs separated by commas or white space, the first
    /// active: what the example servers read from `PORTAL_VAULT_KEYS`. A key is 32
    /// bytes (`openssl rand -base64 32` makes one).
    pub fn from_config(config: &str) -> Result<Vault, VaultConfigError> {
        let mut keys = config
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .enumerate()
            .map(|(i, entry)| {
                let (id, key) = entry
                    .split_once(':')
                    .ok_or(VaultConfigError::Malformed(i + 1))?;
                VaultKey::from_base64(KeyId::new(id)?, key)
            });
        let active = keys.next().ok_or(VaultConfigError::Empty)??;
        let older = keys.collect::<Result<Vec<_>, _>>()?;
        Vault::new(active, older)
    }

    /// The id of the key that seals.
    #[must_use]
    pub fn active(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// Whether the vault holds key `id`.
    #[must_use]
    pub fn has_key(&self, id: &KeyId) -> bool {
        self.keys.iter().any(|k| k.id == *id)
    }

    /// The ids of every key, the active one first.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    /// Seals `plaintext` for `context` under the active key, with a fresh nonce from
    /// `source`.
    pub fn seal(
        &self,
        plaintext: &[u8],
        context: &SealContext<'_>,
        source: &dyn SecretSource,
    ) -> Result<SealedValue, VaultError> {
        self.seal_with(plaintext, &context.associated_data(), source)
    }

    /// Seals `plaintext` bound to the associated data `aad` (which must begin with a
    /// label of its own, so that no two uses of the vault share associated data).
    pub(crate) fn seal_with(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        source: &dyn SecretSource,
    ) -> Result<SealedValue, VaultError> {
        let mut nonce = [0u8; NONCE_BYTES];
        source.fill(&mut nonce)?;
        let ciphertext = self.keys[0]
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            // Encryption fails only for a message longer than the cipher's counter
            // allows (256 GiB); what Portal seals is bounded far below.
            .map_err(|_| VaultError::Tampered)?;
        Ok(SealedValue {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens a value sealed under key `key` for `context`.
    pub fn open(
        &self,
        key: &KeyId,
        value: &SealedValue,
        context: &SealContext<'_>,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.open_with(key, value, &context.associated_data())
    }

    /// Opens a value sealed under key `key` with the associated data `aad`.
    pub(crate) fn open_with(
        &self,
        key: &KeyId,
        value: &SealedValue,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == *key)
            .ok_or_else(|| VaultError::UnknownKey(key.clone()))?;
        if value.nonce.len() != NONCE_BYTES {
            return Err(VaultError::Tampered);
        }
        key.cipher()
            .decrypt(
                XNonce::from_slice(&value.nonce),
                Payload {
                    msg: &value.ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Tampered)
    }

    /// A vault of one key drawn from `source`, held by this process only and never
    /// written down: what seals queued messages when the host configured no vault.
    /// Its id, `process-` and 16 random hex digits, is this process's alone.
    pub(crate) fn ephemeral(source: &dyn SecretSource) -> Result<Vault, VaultError> {
        let mut key = Zeroizing::new([0u8; 32]);
        source.fill(&mut *key)?;
        let mut tag = [0u8; 8];
        source.fill(&mut tag)?;
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        let id = KeyId::new(&format!("process-{hex}")).map_err(|_| VaultError::Tampered)?;
        let key = VaultKey::new(id, &*key).map_err(|_| VaultError::Tampered)?;
        Ok(Vault { keys: vec![key] })
    }

    /// Opens a value as text.
    pub fn open_text(
        &self,
        key: &KeyId,
        value: &SealedValue,
        context: &SealContext<'_>,
    ) -> Result<SecretText, VaultError> {
        let mut bytes = self.open(key, value, context)?;
        let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
            let mut lost = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut lost);
            VaultError::Tampered
        })?;
        Ok(SecretText::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsSecretSource;

    fn key(id: &str, byte: u8) -> VaultKey {
        VaultKey::new(KeyId::new(id).unwrap(), &[byte; KEY_BYTES]).unwrap()
    }

    fn ids() -> (FirmId, ClientId, TaskId) {
        let s = OsSecretSource;
        (
            FirmId::generate(&s).unwrap(),
            ClientId::generate(&s).unwrap(),
            TaskId::generate(&s).unwrap(),
        )
    }

    #[test]
    fn a_value_opens_only_where_it_was_sealed() {
        let vault = Vault::new(key("k1", 7), []).unwrap();
        let (firm, client, task) = ids();
        let (other_firm, other_client, other_task) = ids();
        let here = SealContext {
            firm,
            client,
            task,
            field: "password",
        };
        let sealed = vault.seal(b"hunter2", &here, &OsSecretSource).unwrap();
        let k1 = KeyId::new("k1").unwrap();
        assert_eq!(
            vault.open(&k1, &sealed, &here).unwrap().as_slice(),
            b"hunter2"
        );
        for elsewhere in [
            SealContext {
                task: other_task,
                ..here
            },
            SealContext {
                client: other_client,
                ..here
            },
            SealContext {
                firm: other_firm,
                ..here
            },
            SealContext {
                field: "username",
                ..here
            },
        ] {
            assert!(matches!(
                vault.open(&k1, &sealed, &elsewhere),
                Err(VaultError::Tampered)
            ));
        }
        for bit in [0, 7 * 8 + 3, sealed.ciphertext.len() * 8 - 1] {
            let mut flipped = sealed.clone();
            flipped.ciphertext[bit / 8] ^= 1 << (bit % 8);
            assert!(matches!(
                vault.open(&k1, &flipped, &here),
                Err(VaultError::Tampered)
            ));
        }
        let mut flipped = sealed.clone();
        flipped.nonce[0] ^= 1;
        assert!(matches!(
            vault.open(&k1, &flipped, &here),
            Err(VaultError::Tampered)
        ));
        let again = vault.seal(b"hunter2", &here, &OsSecretSource).unwrap();
        assert_ne!(again.nonce, sealed.nonce);
        assert_ne!(again.ciphertext, sealed.ciphertext);
        // Under another key of the same id the value does not open either.
        let impostor = Vault::new(key("k1", 8), []).unwrap();
        assert!(matches!(
            impostor.open(&k1, &sealed, &here),
            Err(VaultError::Tampered)
        ));
    }

    #[test]
    fn older_keys_open_and_a_missing_one_is_named() {
        let (firm, client, task) = ids();
        let here = SealContext {
            firm,
            client,
            task,
            field: "api_key",
        };
        let old = Vault::new(key("old", 1), []).unwrap();
        let sealed = old.seal(b"sk_live", &here, &OsSecretSource).unwrap();
        let rotated = Vault::new(key("new", 2), [key("old", 1)]).unwrap();
        assert_eq!(rotated.active().as_str(), "new");
        let old_id = KeyId::new("old").unwrap();
        assert_eq!(
            rotated.open_text(&old_id, &sealed, &here).unwrap().expose(),
            "sk_live"
        );
        let without = Vault::new(key("new", 2), []).unwrap();
        let err = without.open(&old_id, &sealed, &here).unwrap_err();
        assert!(matches!(&err, VaultError::UnknownKey(id) if id.as_str() == "old"));
        assert_eq!(err.to_string(), "the vault has no key old");
    }

    #[test]
    fn configuration_is_checked_without_repeating_keys() {
        let b64 = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 32]);
        let vault = Vault::from_config(&format!(" k2:{}, k1:{}\n", b64(2), b64(1))).unwrap();
        assert_eq!(
            vault.key_ids().map(KeyId::as_str).collect::<Vec<_>>(),
            ["k2", "k1"]
        );
        let short = base64::engine::general_purpose::STANDARD.encode([9u8; 16]);
        for (config, expected) in [
            (String::new(), VaultConfigError::Empty),
            (" , ".into(), VaultConfigError::Empty),
            (b64(1), VaultConfigError::Malformed(1)),
            (
                format!("k1:{}", "%%%"),
                VaultConfigError::NotBase64 {
                    id: KeyId::new("k1").unwrap(),
                },
            ),
            (
                format!("k1:{short}"),
                VaultConfigError::KeyLength {
                    id: KeyId::new("k1").unwrap(),
                    bytes: 16,
                },
            ),
            (
                format!("k1:{},k1:{}", b64(1), b64(2)),
                VaultConfigError::Duplicate(KeyId::new("k1").unwrap()),
            ),
            (format!("bad id:{}", b64(1)), VaultConfigError::Malformed(1)),
            (format!("k/1:{}", b64(1)), VaultConfigError::KeyId),
        ] {
            let err = Vault::from_config(&config).unwrap_err();
            assert_eq!(err, expected, "{config:?}");
            assert!(!err.to_string().contains(&short), "{err}");
        }
        assert!(!format!("{vault:?}").contains(&b64(2)));
    }

    #[test]
    fn secret_text_prints_nothing() {
        let s: SecretText = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(format!("{s:?}"), "SecretText(..)");
        let err = serde_json::from_str::<SecretText>("42")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a string"), "{err}");
    }
}
